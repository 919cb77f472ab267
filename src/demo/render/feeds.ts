/**
 * RSS 2.0 and Atom 1.0 writers for the demo feeds. Each feed exercises one thing the collector must
 * handle: GBK bytes, relative links, Chinese dates, `content:encoded` full text, Atom with +08:00.
 */
import type { PlacedArticle } from '../articles/index.ts';
import { CATEGORY_LABELS } from '../../domain.ts';
import { chineseStamp, isoLocal, rfc822 } from '../time.ts';
import { escapeXml } from '../xml.ts';
import { bodyHtml, lead } from './common.ts';

/** What varies between the demo's RSS feeds. */
export interface RssOptions {
  title: string;
  description: string;
  /** Absolute URL of the outlet's home page. */
  siteUrl: string;
  /** Absolute URL of the feed itself. */
  selfUrl: string;
  /** Article URL as printed in `<link>`: absolute or site-relative. */
  linkOf: (article: PlacedArticle) => string;
  /** `chinese` prints local `2025年11月10日 08:30` instead of RFC 822 (some Chinese CMSs do). */
  dateStyle: 'rfc822' | 'chinese';
  /** Put the full text in `content:encoded`. */
  fullText: boolean;
  encoding: 'UTF-8' | 'GBK';
  timezone: string;
  builtAt: Date;
}

/** Renders an RSS 2.0 document. */
export function renderRss(items: PlacedArticle[], o: RssOptions): string {
  const date = (d: Date): string => (o.dateStyle === 'chinese' ? chineseStamp(d, o.timezone) : rfc822(d, o.timezone));
  const entries = items.map((a) => {
    const lines = [
      '    <item>',
      `      <title>${escapeXml(a.title)}</title>`,
      `      <link>${escapeXml(o.linkOf(a))}</link>`,
      `      <guid isPermaLink="false">finrep-demo:${escapeXml(a.slug)}</guid>`,
      `      <pubDate>${date(a.publishedAt)}</pubDate>`,
      `      <category>${escapeXml(CATEGORY_LABELS[a.category])}</category>`,
    ];
    if (a.author) lines.push(`      <dc:creator>${escapeXml(a.author)}</dc:creator>`);
    lines.push(`      <description>${escapeXml(lead(a))}</description>`);
    if (o.fullText) lines.push(`      <content:encoded>${escapeXml(bodyHtml(a))}</content:encoded>`);
    lines.push('    </item>');
    return lines.join('\n');
  });
  return [
    `<?xml version="1.0" encoding="${o.encoding}"?>`,
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
    '  <channel>',
    `    <title>${escapeXml(o.title)}</title>`,
    `    <link>${escapeXml(o.siteUrl)}</link>`,
    `    <description>${escapeXml(o.description)}</description>`,
    '    <language>zh-cn</language>',
    `    <lastBuildDate>${rfc822(o.builtAt, o.timezone)}</lastBuildDate>`,
    '    <ttl>10</ttl>',
    `    <atom:link href="${escapeXml(o.selfUrl)}" rel="self" type="application/rss+xml"/>`,
    ...entries,
    '  </channel>',
    '</rss>',
    '',
  ].join('\n');
}

/** What varies for the Atom feed. */
export interface AtomOptions {
  title: string;
  subtitle: string;
  siteUrl: string;
  selfUrl: string;
  linkOf: (article: PlacedArticle) => string;
  timezone: string;
  builtAt: Date;
}

/** Renders an Atom 1.0 document, with local +08:00-style timestamps. */
export function renderAtom(items: PlacedArticle[], o: AtomOptions): string {
  const entries = items.map((a) =>
    [
      '  <entry>',
      `    <id>tag:finrep.demo,2025:${escapeXml(a.slug)}</id>`,
      `    <title type="text">${escapeXml(a.title)}</title>`,
      `    <link rel="alternate" type="text/html" href="${escapeXml(o.linkOf(a))}"/>`,
      `    <published>${isoLocal(a.publishedAt, o.timezone)}</published>`,
      `    <updated>${isoLocal(a.publishedAt, o.timezone)}</updated>`,
      `    <author><name>${escapeXml(a.author ?? o.title)}</name></author>`,
      `    <category term="${a.category}" label="${escapeXml(CATEGORY_LABELS[a.category])}"/>`,
      `    <summary type="text">${escapeXml(lead(a))}</summary>`,
      `    <content type="html">${escapeXml(bodyHtml(a))}</content>`,
      '  </entry>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
    `  <id>${escapeXml(o.selfUrl)}</id>`,
    `  <title>${escapeXml(o.title)}</title>`,
    `  <subtitle>${escapeXml(o.subtitle)}</subtitle>`,
    `  <updated>${isoLocal(o.builtAt, o.timezone)}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${escapeXml(o.selfUrl)}"/>`,
    `  <link rel="alternate" type="text/html" href="${escapeXml(o.siteUrl)}"/>`,
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
