/**
 * Security codes written in the text: `600519.SH`, `SZ000001`, `贵州茅台（600519）`, `（00700.HK）`,
 * `（NASDAQ: AAPL）`, `美股AAPL`, `NVDA.O`. Bare capitals are never taken for tickers (CPI, MLF, LPR…).
 */
import { lookup } from './dict/index.ts';
import type { Token } from './segment.ts';

/** One code found in the text, with the company name written just before it when one can be read. */
export interface CodeMention {
  ticker: string;
  name: string | null;
  /** Offset of the match in the text (to tell title from body). */
  index: number;
}

/** Upper-case words that look like tickers but are data series, instruments or job titles. */
const NOT_TICKERS = new Set([
  'CPI',
  'PPI',
  'PMI',
  'GDP',
  'MLF',
  'LPR',
  'SLF',
  'PSL',
  'IPO',
  'ETF',
  'LOF',
  'CEO',
  'CFO',
  'COO',
  'CTO',
  'AI',
  'SEC',
  'IMF',
  'OPEC',
  'ESG',
  'PE',
  'PB',
  'EPS',
  'ROE',
  'USD',
  'CNY',
  'CNH',
  'HKD',
  'API',
  'APP',
  'GPU',
  'CPU',
  'EV',
  'M1',
  'M2',
  'US',
  'HK',
  'SH',
  'SZ',
  'BJ',
  'A',
  'B',
  'H',
]);

/** Exchange of a six-digit mainland code, or null when the code is not a stock or fund we can place. */
export function inferExchange(code: string, name: string | null): 'SH' | 'SZ' | 'BJ' | null {
  const fund = name !== null && /ETF|LOF|基金/.test(name);
  if (code.startsWith('92')) return 'BJ';
  switch (code[0]) {
    case '6':
    case '9':
      return 'SH';
    case '0':
    case '2':
    case '3':
      return 'SZ';
    case '4':
    case '8':
      return 'BJ';
    case '5':
      return fund ? 'SH' : null;
    case '1':
      return fund && /^1[56]/.test(code) ? 'SZ' : null;
    default:
      return null;
  }
}

/** `00700` → `0700`; Hong Kong codes are shown with four digits when they fit. */
export function normalizeHk(code: string): string {
  const trimmed = code.replace(/^0+/, '');
  return `${trimmed.padStart(4, '0')}.HK`;
}

const BOUNDARY_WORDS = new Set([
  '的',
  '与',
  '和',
  '及',
  '称',
  '公告',
  '宣布',
  '旗下',
  '子公司',
  '发布',
  '披露',
  '表示',
  '在',
  '对',
  '由',
  '将',
  '了',
  '是',
  '为',
  '被',
  '向',
  '从',
  '股东',
  '其',
  '该',
  '今日',
  '今天',
  '昨日',
  '日前',
  '近日',
  '晚间',
  '午间',
  '盘中',
  '盘后',
  '龙头',
  '个股',
  '股价',
  '收购',
  '持有',
  '投资',
  '入股',
  '拟',
  '包括',
  '如',
  '等',
  '以及',
  '同时',
  '消息',
]);
const STOP_TAGS = /^(?:p|c|u.*|d|r|m|t|f|q|y|e|o)$/;

/**
 * The company name written right before a code: a dictionary name or alias if one ends there, else the
 * last words of the run of Chinese characters (most A-share names have four), stopping at particles and
 * at words that end a clause (公告, 宣布, 收购…).
 */
export function nameBefore(before: string, segment: (text: string) => Token[]): string | null {
  const clean = before.replace(/[\s（(【[:：]+$/, '').replace(/(?:股票|证券)?代码$/, '');
  const fund = /([\u4e00-\u9fa5A-Za-z0-9]{1,12}(?:ETF|LOF))$/.exec(clean)?.[1];
  if (fund !== undefined) return fund;
  for (let len = Math.min(8, clean.length); len >= 2; len--) {
    const hit = lookup(clean.slice(-len), 'company');
    if (hit !== undefined) return hit.name;
  }
  const m = /(\*?ST)?([\u4e00-\u9fa5]{2,}[AB]?)$/.exec(clean.slice(-12));
  const run = m?.[2];
  if (run === undefined) return null;
  const tokens = segment(run);
  let name = '';
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (BOUNDARY_WORDS.has(t.word) || (name.length > 0 && STOP_TAGS.test(t.tag))) break;
    name = t.word + name;
    if (name.length >= 4) break;
  }
  if (name.length < 2 || name.length > 8) return null;
  // *ST / ST belong to the name when the name reaches back to them.
  return m?.[1] !== undefined && name === run ? m[1] + name : name;
}

interface Pattern {
  re: RegExp;
  ticker: (m: RegExpMatchArray, name: string | null) => string | null;
}

const US_PREFIX = '(?:NASDAQ|Nasdaq|NYSE|NYSE American|AMEX|纳斯达克|纽交所|美股(?:代码)?)';

const PATTERNS: readonly Pattern[] = [
  { re: /(?<![\d.])(\d{6})\.(SH|SZ|BJ)(?![A-Za-z])/gi, ticker: (m) => `${m[1]}.${m[2]!.toUpperCase()}` },
  { re: /(?<![A-Za-z])(SH|SZ|BJ)[.:：]?(\d{6})(?!\d)/gi, ticker: (m) => `${m[2]}.${m[1]!.toUpperCase()}` },
  { re: /(?<![\d.])(\d{4,5})\.HK(?![A-Za-z])/gi, ticker: (m) => normalizeHk(m[1]!) },
  { re: /[（(]\s*(?:HK|HKEX|港股(?:代码)?|港交所)\s*[：:.]?\s*(\d{4,5})\s*[）)]/gi, ticker: (m) => normalizeHk(m[1]!) },
  { re: /[（(]\s*(?:(?:股票|证券)?代码\s*[：:]?\s*)?(\d{6})\s*[）)]/g, ticker: (m, n) => exchangeTicker(m[1]!, n) },
  { re: /(?:股票代码|证券代码)\s*[：:]\s*(\d{6})(?![\d.])/g, ticker: (m, n) => exchangeTicker(m[1]!, n) },
  {
    re: new RegExp(`[（(]\\s*${US_PREFIX}\\s*[：:]?\\s*([A-Z]{1,5}(?:\\.[A-Z])?)\\s*[）)]`, 'g'),
    ticker: (m) => usTicker(m[1]!),
  },
  { re: /美股\s*([A-Z]{1,5})(?![A-Za-z])/g, ticker: (m) => usTicker(m[1]!) },
  { re: /(?<![A-Za-z.])([A-Z]{1,5})\.(?:US|O|N)(?![A-Za-z])/g, ticker: (m) => usTicker(m[1]!) },
];

function exchangeTicker(code: string, name: string | null): string | null {
  const ex = inferExchange(code, name);
  return ex === null ? null : `${code}.${ex}`;
}

function usTicker(symbol: string): string | null {
  return NOT_TICKERS.has(symbol) ? null : symbol;
}

/** Every code in the text, in order of appearance, one per ticker. */
export function findCodes(text: string, segment: (text: string) => Token[]): CodeMention[] {
  const found = new Map<string, CodeMention>();
  for (const { re, ticker } of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const index = m.index ?? 0;
      const name = codeName(text, index, m[0], segment);
      const t = ticker(m, name);
      if (t !== null && !found.has(t)) found.set(t, { ticker: t, name, index });
    }
  }
  return [...found.values()].sort((a, b) => a.index - b.index);
}

/**
 * The name a code belongs to. Only a code in parentheses sits right after its company's name:
 * 贵州茅台（600519）, and every code of a list such as 中芯国际（688981.SH，00981.HK）.
 */
function codeName(text: string, index: number, match: string, segment: (text: string) => Token[]): string | null {
  const before = text.slice(Math.max(0, index - 48), index);
  if (/^[（(]/.test(match)) return nameBefore(before, segment);
  const open = /[（(]([^（）()]*)$/.exec(before);
  if (open === null || !/^[\sA-Za-z0-9.:：，,、/；;]*$/.test(open[1] ?? '')) return null;
  return nameBefore(before.slice(0, open.index), segment);
}
