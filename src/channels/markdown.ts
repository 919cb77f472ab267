/**
 * What every platform's renderer shares: the escaping of third-party text for each markup, the lines of an
 * edition or an alert in a markup-neutral form, trimming a story that is too long, and splitting a digest
 * into parts under a size limit. Each platform (`platforms/*.ts`) supplies its {@link Markup} and how a part
 * is assembled and measured; {@link splitDigest} does the rest.
 */
import type { ChannelDigest, ChannelMessage, DigestItem } from './types.ts';

/** How one platform writes text. Every function takes text that is already escaped. */
export interface Markup {
  /** Third-party text made inert: no link, emphasis, heading, mention or tag can come out of it. */
  text(s: string): string;
  bold(s: string): string;
  /** `label` linked to `url`; `label` alone when `url` is not http(s). */
  link(label: string, url: string): string;
  /** Secondary text (meta line); identity where the platform has no such style. */
  muted(s: string): string;
}

/** `url` when it is an absolute http(s) URL, normalised (spaces and quotes percent-encoded); null otherwise. */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.href
    .replaceAll('(', '%28')
    .replaceAll(')', '%29')
    .replaceAll('|', '%7C')
    .replaceAll('"', '%22')
    .replaceAll("'", '%27')
    .replaceAll('<', '%3C')
    .replaceAll('>', '%3E')
    .replaceAll(' ', '%20');
}

/** Newlines, tabs and other control characters folded into single spaces (a title never opens a block). */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

/**
 * Markdown dialects without a reliable backslash escape (WeCom, DingTalk): the characters that open markup
 * are replaced by their full-width look-alikes, which read naturally in Chinese text and render as text.
 */
export function neutraliseMarkdown(s: string): string {
  return oneLine(s).replace(/[[\]()*_~`<>#|!\\]/g, (c) => FULL_WIDTH[c] ?? c);
}

const FULL_WIDTH: Record<string, string> = {
  '[': '［',
  ']': '］',
  '(': '（',
  ')': '）',
  '*': '＊',
  _: '＿',
  '~': '～',
  '`': '｀',
  '<': '＜',
  '>': '＞',
  '#': '＃',
  '|': '｜',
  '!': '！',
  '\\': '＼',
};

/** HTML text (Telegram `parse_mode: HTML`, Feishu lark_md): `&`, `<`, `>` and `"` as entities. */
export function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** `s` cut to `max` code points, with `…` when it was longer. */
export function cut(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, Math.max(0, max)).join('')}…`;
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const SENTIMENT_EMOJI = { positive: '🟢', neutral: '⚪', negative: '🔴' } as const;

/** The dot that stands for a story's sentiment. */
export function sentimentEmoji(item: Pick<DigestItem, 'sentiment'>): string {
  return SENTIMENT_EMOJI[item.sentiment] ?? SENTIMENT_EMOJI.neutral;
}

const OPS_ICON = { critical: '🔴', warning: '🟠', resolved: '✅' } as const;

/** The mark of an operational alert's severity (🔴 critical, 🟠 warning, ✅ resolved); '' for other digests. */
export function opsIcon(digest: ChannelDigest): string {
  return digest.kind === 'ops' && digest.ops ? (OPS_ICON[digest.ops.severity] ?? OPS_ICON.warning) : '';
}

/** The title of a digest, one line and at most 120 characters (a hostile title cannot fill a part alone). */
export function digestTitle(digest: ChannelDigest): string {
  return cut(oneLine(digest.title), 120);
}

/** The header lines of part 1 (title excluded: each platform places it its own way). */
export function headerLines(digest: ChannelDigest, m: Markup): string[] {
  const lines: string[] = [];
  if (digest.kind === 'ops') {
    // At most 6 lines of 300 characters: a hostile source error cannot fill a message.
    return (digest.ops?.lines ?? []).slice(0, 6).map((l) => m.text(cut(oneLine(l), 300)));
  }
  if (digest.kind === 'alert' && digest.rule) {
    lines.push(`${m.bold('规则')} ${m.text(cut(oneLine(digest.rule.name), 80))}`);
    if (digest.rule.hits.length > 0) {
      const hits = digest.rule.hits.slice(0, 10).map((h) => m.text(cut(oneLine(h), 40)));
      lines.push(`${m.bold('命中')} ${hits.join('、')}`);
    }
    return lines;
  }
  if (digest.counts) {
    const c = digest.counts;
    lines.push(m.muted(`来源 ${c.sources} · 文章 ${c.articles} · 事件 ${c.stories}`));
  }
  if (digest.mood) {
    const { positive, neutral, negative } = digest.mood;
    lines.push(`市场情绪 🟢 ${positive} · ⚪ ${neutral} · 🔴 ${negative}`);
  }
  return lines;
}

/** The closing line: a link to the web view, when there is one. */
export function footerLine(digest: ChannelDigest, m: Markup): string | null {
  const url = safeHttpUrl(digest.webViewUrl);
  if (!url) return null;
  return m.link(linkLabel(digest), url);
}

/** The label of the closing link: 查看完整日报 (an edition), 查看详情 (an alert), 打开控制台 (an ops alert). */
export function linkLabel(digest: ChannelDigest): string {
  return digest.kind === 'alert' ? '查看详情' : digest.kind === 'ops' ? '打开控制台' : '查看完整日报';
}

/** The meta line of a story: category, importance, tickers, source, 已预警. */
export function metaLine(item: DigestItem, m: Markup): string {
  const parts = [
    oneLine(item.category),
    `重要度 ${Math.round(item.importance)}`,
    item.tickers.length > 0 ? item.tickers.slice(0, 8).map(oneLine).join(' ') : null,
    oneLine(item.source),
  ].filter((p): p is string => !!p);
  return m.muted(m.text(parts.join(' · ')));
}

/**
 * One story as markup lines: `1. 🟢 **[title](url)** 【已预警】`, the meta line, the summary. `index` is the
 * story's 1-based rank in the whole digest (kept across parts).
 */
export function itemLines(item: DigestItem, index: number, m: Markup): string[] {
  const title = m.text(oneLine(item.title));
  const url = safeHttpUrl(item.url);
  const head = `${index}. ${sentimentEmoji(item)} ${m.bold(url ? m.link(title, url) : title)}`;
  const lines = [item.alerted ? `${head} 【已预警】` : head, metaLine(item, m)];
  const summary = oneLine(item.summary);
  if (summary) lines.push(m.text(summary));
  return lines;
}

/** `(2/3)` when a digest was split, '' otherwise. */
export function partMarker(part: number, parts: number): string {
  return parts > 1 ? `(${part}/${parts})` : '';
}

/** A digest shows a summary, not an article: longer ones are cut (with …) whatever the platform. */
export const MAX_SUMMARY = 1000;
const MAX_TITLE = 300;

/**
 * The largest version of `item` that `fits` (its summary at most {@link MAX_SUMMARY} characters): the summary cut (with …) first, then the title. Never drops
 * the story; throws only when not even a 1-character title fits (a layout bug, not data).
 */
export function fitItem(item: DigestItem, fits: (item: DigestItem) => boolean): DigestItem {
  const capped = {
    ...item,
    title: cut(oneLine(item.title), MAX_TITLE),
    summary: cut(oneLine(item.summary), MAX_SUMMARY),
  };
  if (fits(capped)) return capped;
  const summary = Array.from(capped.summary);
  const withSummary = (n: number): DigestItem => ({ ...capped, summary: `${summary.slice(0, n).join('')}…` });
  const bestSummary = largest(summary.length - 1, (n) => fits(withSummary(n)));
  if (bestSummary !== null) return withSummary(bestSummary);
  const title = capped.title;
  const withTitle = (n: number): DigestItem => ({ ...capped, summary: '', title: cut(title, n) });
  // At least one character of the title stays: n = k + 1, k in [0, length - 2].
  const bestTitle = largest(Array.from(title).length - 2, (k) => fits(withTitle(k + 1)));
  if (bestTitle !== null) return withTitle(bestTitle + 1);
  throw new Error('a story does not fit the platform limit even trimmed');
}

/** The largest n in [0, hi] with ok(n), assuming ok is monotone (true up to some n); null when ok(0) fails. */
function largest(hi: number, ok: (n: number) => boolean): number | null {
  if (hi < 0 || !ok(0)) return null;
  let lo = 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** How a platform builds and measures one part of a digest. */
export interface PartLayout {
  /** The request body of part `part` of `parts` showing `items` (whose ranks start at `firstIndex`). */
  build(items: DigestItem[], firstIndex: number, part: number, parts: number): unknown;
  /** Whether a body is within every limit of the platform. */
  fits(body: unknown): boolean;
}

/**
 * The digest in as few parts as fit: stories are packed greedily in order; the header goes on part 1,
 * later parts carry the title with a `(k/n)` marker. A story too long for any part is trimmed
 * ({@link fitItem}), never dropped.
 *
 * @example
 * splitDigest(digest, { build: (items, first, part, parts) => ({ text: … }), fits: (b) => size(b) <= 4096 })
 */
export function splitDigest(digest: ChannelDigest, layout: PartLayout): ChannelMessage[] {
  // Measured with wide ranks and marker, so the real `7.` and `(k/n)` are never longer than measured.
  // Each candidate is measured as a middle part and as the last one (which carries the footer).
  const WIDE = 999;
  const fitsAs = (items: DigestItem[], part: number) =>
    layout.fits(layout.build(items, WIDE, part, WIDE)) && layout.fits(layout.build(items, WIDE, part, part));
  const fitsAlone = (it: DigestItem) => fitsAs([it], 1) && fitsAs([it], 2);
  const items = digest.items.map((it) => fitItem(it, fitsAlone));
  const groups: DigestItem[][] = [[]];
  for (const it of items) {
    const current = groups[groups.length - 1]!;
    const candidate = [...current, it];
    const part = groups.length;
    if (current.length === 0 || fitsAs(candidate, part)) current.push(it);
    else groups.push([it]);
  }
  const parts = groups.length;
  let first = 1;
  return groups.map((group, i) => {
    const body = layout.build(group, first, i + 1, parts);
    first += group.length;
    return { body, part: i + 1, parts };
  });
}
