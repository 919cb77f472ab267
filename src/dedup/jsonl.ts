/**
 * `finrep dedup --jsonl`'s input, a chunk at a time: JSON lines → checked documents → compact fingerprints
 * (`FeatureBatch`). A chunk is whole lines of the file's bytes; it is read the way `node:readline` reads a
 * stream (lines end at "\n", "\r\n" or "\r"; a last line without an end counts), so the line numbers of errors
 * are the same whether the chunks are fingerprinted here or in a worker (`fingerprint-worker.ts`).
 */
import { compactOf, featureBatch } from './feature-batch.ts';
import type { CompactDoc, FeatureBatch } from './feature-batch.ts';
import { fingerprint } from './fingerprint.ts';

export type Id = string | number;

/** A line that is not a valid document; the command prints its message as its one error line. */
export class DedupInputError extends Error {
  override name = 'DedupInputError';
}

/** One input line, checked. */
export interface DedupLine {
  id: Id;
  title: string;
  text: string;
  published: Date | null;
}

/**
 * Parses one JSON line of `finrep dedup --jsonl`; throws a `DedupInputError` naming the line.
 *
 * @example parseDedupLine('{"id":"a","title":"t","text":"x"}', 1)
 */
export function parseDedupLine(line: string, lineNo: number): DedupLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw new DedupInputError(`line ${lineNo}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new DedupInputError(`line ${lineNo}: expected a JSON object`);
  const o = v as Record<string, unknown>;
  if (!(typeof o.id === 'string' && o.id !== '') && !(typeof o.id === 'number' && Number.isFinite(o.id))) {
    throw new DedupInputError(`line ${lineNo}: "id" must be a non-empty string or a number`);
  }
  if (typeof o.title !== 'string') throw new DedupInputError(`line ${lineNo}: "title" must be a string`);
  if (typeof o.text !== 'string') throw new DedupInputError(`line ${lineNo}: "text" must be a string`);
  let published: Date | null = null;
  if (o.published !== undefined && o.published !== null) {
    published =
      typeof o.published === 'string' || typeof o.published === 'number' ? new Date(o.published) : new Date(Number.NaN);
    if (Number.isNaN(published.getTime())) {
      throw new DedupInputError(
        `line ${lineNo}: "published" must be an ISO 8601 date or epoch milliseconds (got ${JSON.stringify(o.published)})`,
      );
    }
  }
  return { id: o.id as Id, title: o.title, text: o.text, published };
}

/** What a chunk of lines gives: its documents' ids, lines, times and fingerprints, and its first bad line. */
export interface ChunkResult {
  /** Lines in the chunk (blank ones included). */
  lines: number;
  ids: Id[];
  /** Line of each document within the chunk, from 1. */
  lineNos: Int32Array;
  /** Publication time of each document in ms; `Infinity` when undated. */
  at: Float64Array;
  batch: FeatureBatch;
  /** The first line that is not a valid document: its line within the chunk, and its message after "line N" (`chunkError`). */
  error: { line: number; after: string } | null;
}

const LINE_BREAK = /\r\n|\n|\r/;

/** The lines of a chunk of text, as `node:readline` gives them (no empty line after a final line break). */
export function chunkLines(text: string): string[] {
  const lines = text.split(LINE_BREAK);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Parses and fingerprints the lines of `text` (whole lines: it ends at a line break or at the end of the
 * input). Stops at the first bad line, keeping the documents before it.
 */
export function fingerprintChunk(text: string): ChunkResult {
  const lines = chunkLines(text);
  const ids: Id[] = [];
  const lineNos: number[] = [];
  const at: number[] = [];
  const docs: CompactDoc<null>[] = [];
  let error: ChunkResult['error'] = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    let line: DedupLine;
    try {
      line = parseDedupLine(raw, 0);
    } catch (err) {
      if (!(err instanceof DedupInputError)) throw err;
      error = { line: i + 1, after: err.message.slice('line 0'.length) };
      break;
    }
    const t = line.published ? line.published.getTime() : Number.POSITIVE_INFINITY;
    ids.push(line.id);
    lineNos.push(i + 1);
    at.push(t);
    docs.push(compactOf(fingerprint(line.title, line.text), null, t));
  }
  return {
    lines: lines.length,
    ids,
    lineNos: Int32Array.from(lineNos),
    at: Float64Array.from(at),
    batch: featureBatch(docs),
    error,
  };
}

/** The error of a chunk's bad line, once the chunk's first line number is known. */
export function chunkError(r: ChunkResult, firstLine: number): DedupInputError | null {
  return r.error ? new DedupInputError(`line ${r.error.line + firstLine - 1}${r.error.after}`) : null;
}
