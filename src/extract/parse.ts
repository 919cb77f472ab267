/**
 * Reads a model's reply into an `Extraction`: tolerant of code fences, text around the JSON and the usual
 * spellings of a ticker, strict about the schema itself. The problem text of a rejected reply is what the
 * repair request quotes back to the model.
 */
import { z } from 'zod';
import type { Extraction } from '../domain.ts';
import { inferExchange, normalizeHk } from './local/tickers.ts';
import { extractionSchema } from './schema.ts';

export type ParseResult = { ok: true; value: Extraction } | { ok: false; problem: string };

/** Replies longer than this are not scanned for JSON (a bounded `max_tokens` makes them rare). */
const MAX_REPLY_CHARS = 50_000;

/**
 * The JSON object in a reply that passes the schema; when none does, the problem with the most plausible
 * candidate.
 * @example parseExtractionReply('```json\n{"summary": …}\n```')
 */
export function parseExtractionReply(reply: string | null): ParseResult {
  if (reply === null || reply.trim() === '') return { ok: false, problem: 'empty reply' };
  if (reply.length > MAX_REPLY_CHARS) return { ok: false, problem: `reply too long (${reply.length} characters)` };
  const candidates = jsonCandidates(reply);
  if (candidates.length === 0) return { ok: false, problem: 'no JSON object found in the reply' };
  let firstProblem: string | null = null;
  for (const value of candidates) {
    const parsed = extractionSchema.safeParse(normalize(value));
    if (parsed.success) return { ok: true, value: parsed.data };
    firstProblem ??= z.prettifyError(parsed.error);
  }
  return { ok: false, problem: firstProblem ?? 'invalid JSON' };
}

/**
 * Every JSON object the reply contains, best guess first: the whole reply, the inside of each code fence,
 * then each balanced `{…}` found by scanning (strings and escapes respected), largest first.
 */
export function jsonCandidates(reply: string): unknown[] {
  const texts: string[] = [reply.trim()];
  for (const m of reply.matchAll(/```(?:json|JSON)?\s*\n?([\s\S]*?)```/g)) texts.push(m[1]!.trim());
  texts.push(...balancedObjects(reply).sort((a, b) => b.length - a.length));
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const t of texts) {
    if (seen.has(t) || !t.startsWith('{')) continue;
    seen.add(t);
    try {
      const v: unknown = JSON.parse(t);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v);
    } catch {
      /* not this one */
    }
  }
  return out;
}

/** Top-level `{…}` spans of a text, found with a bracket counter that skips JSON strings. */
function balancedObjects(text: string): string[] {
  const spans: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"' && depth > 0) inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) spans.push(text.slice(start, i + 1));
    }
  }
  return spans;
}

/**
 * Fixes spellings that mean the same thing before validation: numbers sent as strings, an upper-case
 * enum value, `SH600519` / `600519.SS` / `00700.HK` / a bare six-digit code for tickers, `""` for a missing
 * ticker, a ticker the schema cannot express. Anything else is left for the schema to judge.
 */
function normalize(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const v = { ...(value as Record<string, unknown>) };
  for (const k of ['sentiment_score', 'importance'] as const) {
    if (typeof v[k] === 'string' && /^-?\d+(\.\d+)?$/.test((v[k] as string).trim())) v[k] = Number(v[k]);
  }
  for (const k of ['category', 'sentiment'] as const)
    if (typeof v[k] === 'string') v[k] = (v[k] as string).trim().toLowerCase();
  if (typeof v.region === 'string') {
    const r = v.region.trim();
    v.region = r.toLowerCase() === 'global' || r.toLowerCase() === 'other' ? r.toLowerCase() : r.toUpperCase();
  }
  const entities = v.entities;
  if (entities && typeof entities === 'object' && Array.isArray((entities as Record<string, unknown>).companies)) {
    const e = { ...(entities as Record<string, unknown>) };
    e.companies = (e.companies as unknown[]).map((c) => {
      if (!c || typeof c !== 'object') return c;
      const company = { ...(c as Record<string, unknown>) };
      if (typeof company.ticker === 'string') company.ticker = normalizeTicker(company.ticker);
      return company;
    });
    v.entities = e;
  }
  return v;
}

/** A ticker in the schema's spelling, or null when it cannot be placed. */
export function normalizeTicker(raw: string): string | null {
  const t = raw.trim().toUpperCase().replace(/\s+/g, '');
  if (t === '' || t === 'NULL' || t === 'N/A') return null;
  let m = /^(SH|SZ|BJ)[.:]?(\d{6})$/.exec(t);
  if (m) return `${m[2]}.${m[1]}`;
  m = /^(\d{6})\.(SH|SS|SZ|BJ)$/.exec(t);
  if (m) return `${m[1]}.${m[2] === 'SS' ? 'SH' : m[2]}`;
  if (/^\d{6}$/.test(t)) {
    const ex = inferExchange(t, null);
    return ex ? `${t}.${ex}` : null;
  }
  m = /^(?:HK[.:]?)?(\d{1,5})(?:\.HK)$/.exec(t) ?? /^HK[.:]?(\d{1,5})$/.exec(t);
  if (m) return normalizeHk(m[1]!);
  m = /^(?:NASDAQ|NYSE)[:.]?([A-Z]{1,5})$/.exec(t) ?? /^([A-Z]{1,5})\.(?:O|N|US)$/.exec(t);
  if (m) return m[1]!;
  // A ticker the schema cannot express (a fund code, a name) is dropped rather than failing the extraction.
  return TICKER.test(t) ? t : null;
}

const TICKER = /^(\d{6}\.(SH|SZ|BJ)|\d{4,5}\.HK|[A-Z]{1,5}(\.[A-Z])?)$/;
