/**
 * The content of the reference edition workload (issue 7): about 600 stories, each published by one to a
 * few dozen of 200 sources (150 RSS feeds, 40 static sites, 10 JavaScript-rendered sites) — about 6,000
 * items in all. The first copy of a story is the original; the others are reposts made the way Chinese
 * portals make them (an outlet lead such as 【财联社】, an edited headline, a trimmed ending, synonyms … —
 * the near-duplicate generator of `src/dedup/testdata/neardup`). Originals are the evaluation set's
 * hand-written articles, topped up with synthetic ones (`synthetic-news.ts`). Every item is published inside
 * the edition's window. Deterministic for a seed.
 */
import { EDIT_KINDS, applyEdit } from '../../src/dedup/testdata/neardup/edits.ts';
import { baseArticles } from '../../src/dedup/testdata/neardup/index.ts';
import { prng } from '../../src/dedup/testdata/neardup/prng.ts';
import { localParts } from '../../src/demo/time.ts';
import { WEB_ARTICLE_CONCURRENCY } from '../../src/collect/web.ts';
import type { Config } from '../../src/config/index.ts';
import { dateInZone } from '../../src/lib/time.ts';
import { editionWindow } from '../../src/pipeline/window.ts';
import { syntheticArticle, vocabulary } from './synthetic-news.ts';

export type SiteKind = 'rss' | 'web' | 'dynamic';

/** One published copy of a story on one site. */
export interface WorldItem {
  /** The page name on its site (`/news/<slug>.html`). */
  slug: string;
  /** Ground truth: copies with the same story are the same news. */
  story: string;
  /** How this copy was made from the original. */
  edit: 'original' | (typeof EDIT_KINDS)[number];
  title: string;
  paragraphs: string[];
  publishedAt: Date;
  author: string;
}

/** One source of the world and what it publishes. */
export interface WorldSite {
  index: number;
  kind: SiteKind;
  /** Source key in the database (`bench:rss-007`). */
  key: string;
  name: string;
  items: WorldItem[];
}

export interface WorldPlan {
  sites: WorldSite[];
  /** Distinct stories (ground truth). */
  stories: number;
  items: number;
  /** Originals taken from the hand-written evaluation set (the rest are synthetic). */
  writtenStories: number;
}

export interface WorldOptions {
  /** The edition window: every item is published in [from, to). */
  from: Date;
  to: Date;
  timeZone: string;
  /** @defaultValue 600 */
  stories?: number;
  /** @defaultValue 6000 */
  items?: number;
  /** @defaultValue { rss: 150, web: 40, dynamic: 10 } */
  sites?: Record<SiteKind, number>;
  /** @defaultValue 20260701 */
  seed?: number;
}

const AUTHORS = ['王敏', '刘洋', '张璇', '李华', '陈晨', '赵静', '周宇', '孙悦', '吴昊', '郑欣', '林立', '何佳'];
const SITE_NAMES: Record<SiteKind, string> = { rss: '财经快讯源', web: '财经网站', dynamic: '电报站' };

/**
 * Plans the world: stories, their copies, and which site publishes each copy (every site gets about the
 * same number of items, no site carries a story twice).
 *
 * @example const plan = planWorld({ from, to, timeZone: 'Asia/Shanghai' }); plan.items // 6000
 */
export function planWorld(opts: WorldOptions): WorldPlan {
  const rand = prng(opts.seed ?? 20260701);
  const nStories = opts.stories ?? 600;
  const nItems = opts.items ?? 6000;
  const kinds = opts.sites ?? { rss: 150, web: 40, dynamic: 10 };
  const sites: WorldSite[] = [];
  for (const kind of ['rss', 'web', 'dynamic'] as const) {
    for (let k = 0; k < kinds[kind]; k++) {
      const index = sites.length;
      sites.push({
        index,
        kind,
        key: `bench:${kind}-${String(index).padStart(3, '0')}`,
        name: `${SITE_NAMES[kind]}${index}`,
        items: [],
      });
    }
  }
  if (nItems < nStories) throw new Error(`items (${nItems}) must be at least stories (${nStories})`);

  const originals = pickOriginals(nStories, rand);
  const copies = copyCounts(nStories, nItems, sites.length, rand);
  // Capacity per site: items spread evenly; the biggest stories are placed first so that they always find
  // enough distinct sites with room left.
  const capacity = sites.map((_, i) => Math.floor(nItems / sites.length) + (i < nItems % sites.length ? 1 : 0));
  const order = originals.map((_, i) => i).sort((a, b) => copies[b]! - copies[a]!);
  const span = opts.to.getTime() - opts.from.getTime();
  for (const s of order) {
    const base = originals[s]!;
    const t0 = opts.from.getTime() + 0.02 * span + rand() * 0.8 * span;
    const p = localParts(new Date(t0), opts.timeZone);
    const ctx = { day: `${p.month}月${p.day}日`, title: base.title };
    const chosen = sites
      .map((site) => site.index)
      .filter((i) => capacity[i]! > 0)
      .map((i) => ({ i, key: capacity[i]! + rand() }))
      .sort((a, b) => b.key - a.key)
      .slice(0, copies[s])
      .map((c) => c.i);
    if (chosen.length < copies[s]!) throw new Error('world plan: not enough site capacity left');
    chosen.forEach((siteIndex, c) => {
      capacity[siteIndex]!--;
      const edit = c === 0 ? ('original' as const) : EDIT_KINDS[Math.floor(rand() * EDIT_KINDS.length)]!;
      const doc =
        edit === 'original' ? { title: base.title, paragraphs: base.paragraphs } : applyEdit(edit, base, rand, ctx);
      // Reposts follow the original within a few hours, always before the cut-off.
      const at = c === 0 ? t0 : Math.min(t0 + rand() * 0.15 * span, opts.to.getTime() - 60_000);
      sites[siteIndex]!.items.push({
        slug: `s${s}-c${c}`,
        story: base.story,
        edit,
        title: doc.title,
        paragraphs: doc.paragraphs.filter((x) => x.trim()),
        publishedAt: new Date(Math.floor(at / 1000) * 1000),
        author: AUTHORS[Math.floor(rand() * AUTHORS.length)]!,
      });
    });
  }
  for (const site of sites) site.items.sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime());
  return { sites, stories: nStories, items: nItems, writtenStories: Math.min(nStories, uniqueWritten().length) };
}

interface Original {
  story: string;
  title: string;
  paragraphs: string[];
}

let written: Original[] | null = null;
/** The evaluation set's originals, one per story. */
function uniqueWritten(): Original[] {
  if (written) return written;
  const seen = new Set<string>();
  written = [];
  for (const a of baseArticles()) {
    if (seen.has(a.story)) continue;
    seen.add(a.story);
    written.push({ story: a.story, title: a.title, paragraphs: a.paragraphs });
  }
  return written;
}

function pickOriginals(n: number, rand: () => number): Original[] {
  const out = uniqueWritten().slice(0, n);
  if (out.length < n) {
    const v = vocabulary();
    for (let k = out.length; k < n; k++) {
      const a = syntheticArticle(v, rand);
      out.push({ story: `synthetic-${k}`, title: a.title, paragraphs: a.text.split('\n\n') });
    }
  }
  return out;
}

/**
 * How many copies each story gets: skewed (a few stories everywhere, many on one or two sites, as coverage
 * is in real news), at least one, at most one per site, summing to exactly `items`.
 */
function copyCounts(stories: number, items: number, sites: number, rand: () => number): number[] {
  const raw = Array.from({ length: stories }, () => 0.05 + rand() ** 2);
  const total = raw.reduce((a, b) => a + b, 0);
  const counts = raw.map((r) => Math.min(sites, Math.max(1, Math.round((r / total) * items))));
  let diff = items - counts.reduce((a, b) => a + b, 0);
  for (let guard = 0; diff !== 0 && guard < 1_000_000; guard++) {
    const i = Math.floor(rand() * stories);
    if (diff > 0 && counts[i]! < sites) {
      counts[i]!++;
      diff--;
    }
    if (diff < 0 && counts[i]! > 1) {
      counts[i]!--;
      diff++;
    }
  }
  if (diff !== 0) throw new Error(`cannot spread ${items} items over ${stories} stories and ${sites} sites`);
  return counts;
}

/** The page rounds a static (or dynamic) site costs the collector, as the web bound counts them. */
export function siteRounds(site: WorldSite, articlesAtOnce: number): number {
  // A dynamic list page makes two requests in the browser (the shell, then the JSON its script loads).
  const listRequests = site.kind === 'dynamic' ? 2 : 1;
  return listRequests + Math.ceil(site.items.length / articlesAtOnce);
}

/**
 * The edition's physical bound for a world under a configuration (bench/edition.ts explains it), in seconds,
 * unrounded: max(collect, LLM) + mail, and the stages in sequence; with the counts it was made of.
 */
export function editionBound(
  plan: WorldPlan,
  config: Config,
  load: { latencyMs: number; llmLatencyMs: number; recipients: number },
) {
  const rssFeeds = plan.sites.filter((s) => s.kind === 'rss').length;
  const webSites = plan.sites.filter((s) => s.kind !== 'rss');
  const atOnce = Math.min(WEB_ARTICLE_CONCURRENCY, config.crawl.perHostConcurrency);
  const rounds = {
    rss: Math.ceil(rssFeeds / config.crawl.concurrencyRss),
    web: Math.max(
      Math.max(0, ...webSites.map((s) => siteRounds(s, atOnce))),
      Math.ceil(webSites.reduce((n, s) => n + siteRounds(s, atOnce), 0) / config.crawl.concurrencyWeb),
    ),
  };
  const llmConcurrency = config.llm.providers.find((p) => p.name === 'deepseek')?.concurrency ?? 8;
  const collect_s = (Math.max(rounds.rss, rounds.web) * load.latencyMs) / 1000;
  const llm_s = (Math.ceil(plan.stories / llmConcurrency) * load.llmLatencyMs) / 1000;
  const mail_s = load.recipients / config.mail.ratePerSec;
  return {
    rssFeeds,
    webSites,
    llmConcurrency,
    collect_s,
    collect_rss_s: (rounds.rss * load.latencyMs) / 1000,
    collect_web_s: (rounds.web * load.latencyMs) / 1000,
    llm_s,
    mail_s,
    total_s: Math.max(collect_s, llm_s) + mail_s,
    sequential_s: collect_s + llm_s + mail_s,
  };
}

/**
 * The latest edition whose deadline (EDITION_DEADLINE, 06:15) has passed: all its news is in the past, and
 * the deadline guard, which only applies to a run started before it, stays out of the measurement.
 */
export function latestPastEdition(now: Date, timeZone: string): string {
  const today = dateInZone(now, timeZone);
  const w = editionWindow(today, { timeZone, cutoff: '06:15', windowHours: 24 });
  return w.to.getTime() <= now.getTime() ? today : dateInZone(new Date(now.getTime() - 86_400_000), timeZone);
}
