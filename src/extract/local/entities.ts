/**
 * Entities: companies (dictionary names and aliases, plus codes such as 贵州茅台（600519） and
 * 腾讯控股（00700.HK）), institutions from the dictionary, and people (see people.ts). Precision over
 * recall: an unsure match is left out.
 */
import type { Region } from '../../domain.ts';
import { OTHER_LISTINGS } from './dict/companies.ts';
import { companyByTicker, LEXICON, tickerRegion } from './dict/index.ts';
import { titledPeople } from './people.ts';
import { segment } from './segment.ts';
import type { Token } from './segment.ts';
import { findCodes } from './tickers.ts';

/** A company found in the article. */
export interface CompanyMention {
  name: string;
  ticker: string | null;
}

/** Everything the other rules need to know about the article's entities. */
export interface Entities {
  /** One entry per listing: a company written with two codes (A and H share) appears twice. */
  companies: CompanyMention[];
  people: string[];
  institutions: string[];
  /** Regions of every company, institution and index mentioned, with title mentions counted ×3. */
  regionVotes: Map<Region, number>;
  /** Names of the companies named in the title. */
  titleCompanies: string[];
  /** Canonical names of institutions named in the title. */
  titleInstitutions: string[];
}

const LIMITS = { companies: 12, people: 8, institutions: 10 } as const;

const DOMESTIC_BEFORE_CENTRAL_BANK = new Set(['中国', '我国']);
const NOT_ONE_CENTRAL_BANK = new Set(['全球', '各国', '多国', '海外', '外国', '主要', '各大', '新兴市场', '多家']);

const HK_MARKET = /港股|恒指|恒生指数|恒生科技|港元|H股|南向资金|港股通/g;
const US_MARKET = /美股|中概股|纳斯达克|纽交所|纳指|道指|盘前|盘后|美国存托/g;

/** Which market the article is written about, to pick a dual-listed company's listing. */
function marketOf(text: string): 'HK' | 'US' | null {
  const hk = [...text.matchAll(HK_MARKET)].length;
  const us = [...text.matchAll(US_MARKET)].length;
  return hk > us ? 'HK' : us > hk ? 'US' : null;
}

interface CompanyState {
  listed: string | null;
  explicit: string[];
}

class Collector {
  readonly companies = new Map<string, CompanyState>();
  readonly institutions = new Set<string>();
  readonly people = new Set<string>();
  readonly regionVotes = new Map<Region, number>();
  readonly titleCompanies = new Set<string>();
  readonly titleInstitutions = new Set<string>();
  /** Names written right before a code (比亚迪 in 比亚迪（01211.HK）) → the company that code denotes. */
  readonly byWrittenName = new Map<string, string>();

  constructor(private readonly market: 'HK' | 'US' | null) {}

  vote(region: Region | null, weight: number): void {
    if (region !== null) this.regionVotes.set(region, (this.regionVotes.get(region) ?? 0) + weight);
  }

  /** A company named in the text; `explicit` when its code is written there. */
  addCompany(name: string, ticker: string | null, inTitle: boolean, explicit: boolean): void {
    let state = this.companies.get(name);
    if (state === undefined) {
      if (this.companies.size >= LIMITS.companies) return;
      const other = this.market === null ? undefined : OTHER_LISTINGS[name]?.[this.market];
      state = { listed: explicit ? null : (other ?? ticker), explicit: [] };
      this.companies.set(name, state);
    }
    if (explicit && ticker !== null && !state.explicit.includes(ticker)) state.explicit.push(ticker);
    if (inTitle) this.titleCompanies.add(name);
    this.vote(tickerRegion(explicit ? ticker : state.listed), inTitle ? 3 : 1);
  }

  companyList(): CompanyMention[] {
    const out: CompanyMention[] = [];
    for (const [name, s] of this.companies) {
      // Codes written in the text win over the dictionary's default listing.
      for (const ticker of s.explicit.length > 0 ? s.explicit : [s.listed]) out.push({ name, ticker });
    }
    return out.slice(0, LIMITS.companies);
  }
}

function scanTokens(tokens: readonly Token[], inTitle: boolean, fullText: string, out: Collector): void {
  const weight = inTitle ? 3 : 1;
  tokens.forEach((token, i) => {
    for (const hit of LEXICON.get(token.word) ?? []) {
      switch (hit.kind) {
        case 'company':
          if (hit.context !== null && !hit.context.test(fullText)) break;
          {
            const coded = out.byWrittenName.get(hit.name);
            if (coded !== undefined) out.addCompany(coded, null, inTitle, true);
            else out.addCompany(hit.name, hit.ticker, inTitle, false);
          }
          break;
        case 'institution': {
          const prev = tokens[i - 1];
          // 土耳其央行 and 全球央行 are not the PBoC.
          if (hit.name === '中国人民银行' && token.word === '央行' && prev !== undefined) {
            if (prev.tag === 'ns' && !DOMESTIC_BEFORE_CENTRAL_BANK.has(prev.word)) break;
            if (NOT_ONE_CENTRAL_BANK.has(prev.word)) break;
          }
          if (out.institutions.size < LIMITS.institutions) out.institutions.add(hit.name);
          if (inTitle) out.titleInstitutions.add(hit.name);
          out.vote(hit.region, weight);
          break;
        }
        case 'index':
          out.vote(hit.region, weight);
          break;
        case 'person':
          if (out.people.size < LIMITS.people) out.people.add(hit.name);
          break;
        case 'term':
          break;
      }
    }
  });
}

/** Finds the entities of an article from its segmented title and body. */
export function findEntities(
  title: string,
  body: string,
  titleTokens: readonly Token[],
  bodyTokens: readonly Token[],
): Entities {
  const fullText = `${title}\n${body}`;
  const out = new Collector(marketOf(fullText));
  const titleEnd = title.length + 1;
  // An explicit code beats the dictionary's default listing: 比亚迪（01211.HK） is the HK share.
  const codes = findCodes(fullText, segment).map((code) => {
    const name = companyByTicker(code.ticker)?.name ?? code.name ?? code.ticker;
    if (code.name !== null) out.byWrittenName.set(code.name, name);
    return { name, ticker: code.ticker, inTitle: code.index < titleEnd };
  });
  scanTokens(titleTokens, true, fullText, out);
  for (const code of codes) out.addCompany(code.name, code.ticker, code.inTitle, true);
  scanTokens(bodyTokens, false, fullText, out);
  for (const name of titledPeople(fullText)) if (out.people.size < LIMITS.people) out.people.add(name);
  return {
    companies: out.companyList(),
    people: [...out.people],
    institutions: [...out.institutions],
    regionVotes: out.regionVotes,
    titleCompanies: [...out.titleCompanies],
    titleInstitutions: [...out.titleInstitutions],
  };
}
