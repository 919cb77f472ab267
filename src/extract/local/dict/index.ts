/**
 * The finance dictionary as lookups: every surface form (name or alias) → what it denotes, plus the
 * jieba user dictionary built from the same data so segmentation and lookup always agree.
 */
import type { Region } from '../../../domain.ts';
import { AMBIGUOUS_ALIASES, COMPANIES } from './companies.ts';
import type { CompanyEntry } from './companies.ts';
import { INDICES, INSTITUTIONS, PEOPLE, TERMS } from './lexicon.ts';

export type DictKind = 'company' | 'institution' | 'index' | 'person' | 'term';

/** What one surface form denotes. A form can denote several things (港交所: the exchange and the stock). */
export interface DictHit {
  kind: DictKind;
  /** Canonical name (贵州茅台 for 茅台). */
  name: string;
  ticker: string | null;
  region: Region | null;
  /** For a form that is also an ordinary word (苹果): the text must match this to accept it. */
  context: RegExp | null;
}

/** The market a ticker trades on. */
export function tickerRegion(ticker: string | null): Region | null {
  if (ticker === null) return null;
  if (/\.(SH|SZ|BJ)$/.test(ticker)) return 'CN';
  if (ticker.endsWith('.HK')) return 'HK';
  return 'US';
}

function build(): { lexicon: Map<string, DictHit[]>; byTicker: Map<string, CompanyEntry> } {
  const lexicon = new Map<string, DictHit[]>();
  const add = (form: string, hit: DictHit): void => {
    const hits = lexicon.get(form);
    if (hits === undefined) lexicon.set(form, [hit]);
    else if (!hits.some((h) => h.kind === hit.kind)) hits.push(hit);
  };
  const byTicker = new Map<string, CompanyEntry>();
  for (const co of COMPANIES) {
    const region = tickerRegion(co.ticker);
    if (co.ticker !== null) byTicker.set(co.ticker, co);
    for (const form of [co.name, ...co.aliases]) {
      add(form, {
        kind: 'company',
        name: co.name,
        ticker: co.ticker,
        region,
        context: AMBIGUOUS_ALIASES.get(form) ?? null,
      });
    }
  }
  for (const [kind, entries] of [
    ['institution', INSTITUTIONS],
    ['index', INDICES],
  ] as const) {
    for (const en of entries) {
      for (const form of [en.name, ...en.aliases])
        add(form, { kind, name: en.name, ticker: null, region: en.region, context: null });
    }
  }
  for (const name of PEOPLE) add(name, { kind: 'person', name, ticker: null, region: null, context: null });
  for (const term of TERMS) add(term, { kind: 'term', name: term, ticker: null, region: null, context: null });
  return { lexicon, byTicker };
}

const built = build();

/** Every surface form of the dictionary → what it denotes. */
export const LEXICON: ReadonlyMap<string, readonly DictHit[]> = built.lexicon;

/** The dictionary's company for an exchange-qualified ticker. */
export function companyByTicker(ticker: string): CompanyEntry | undefined {
  return built.byTicker.get(ticker);
}

/** The first hit of a given kind for a surface form. */
export function lookup(form: string, kind: DictKind): DictHit | undefined {
  return LEXICON.get(form)?.find((h) => h.kind === kind);
}

const JIEBA_TAGS: Record<DictKind, string> = { company: 'nt', institution: 'nt', index: 'nz', person: 'nr', term: 'n' };

/**
 * The jieba user dictionary (`word freq tag` lines). Frequencies are high enough that a dictionary word
 * beats any split of itself (贵州茅台, not 贵州/茅台) without swallowing its neighbours.
 */
export function jiebaUserDict(): string {
  const lines: string[] = [];
  for (const [form, hits] of LEXICON) {
    if (/\s/.test(form)) continue;
    const hit = hits[0];
    if (hit === undefined) continue;
    const freq = hit.kind === 'term' ? 20_000 : 50_000;
    lines.push(`${form} ${freq} ${JIEBA_TAGS[hit.kind]}`);
  }
  return lines.join('\n') + '\n';
}
