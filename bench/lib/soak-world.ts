/**
 * The soak's tiny world (`bench/soak.ts`): a few sources on loopback that publish fresh news every day of an
 * accelerated clock (config/bench-clock.ts). At each request a site serves the items of the last five
 * editions whose window has closed on that clock — each edition date its own stories (synthetic, seeded by the
 * date), an original and sometimes a repost on another site — so every edition the schedule fires finds
 * its own news, even one that starts a period late. Pages are made by `edition-world-sites.ts`.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchClock } from '../../src/config/bench-clock.ts';
import type { SourceSeed } from '../../src/db/queries/sources.ts';
import { EDIT_KINDS, applyEdit } from '../../src/dedup/testdata/neardup/edits.ts';
import { hashSeed, prng } from '../../src/dedup/testdata/neardup/prng.ts';
import { dateInZone } from '../../src/lib/time.ts';
import { editionWindow } from '../../src/pipeline/window.ts';
import { answer, closeServers, fillPages, sourceSeed } from './edition-world-sites.ts';
import type { Page } from './edition-world-sites.ts';
import type { SiteKind, WorldItem, WorldSite } from './edition-world.ts';
import { syntheticArticle, vocabulary } from './synthetic-news.ts';
import type { Vocabulary } from './synthetic-news.ts';

export interface SoakWorldOptions {
  sites: Record<SiteKind, number>;
  /** Stories per edition. */
  stories: number;
  clock: BenchClock;
  timeZone: string;
  /** EDITION_CUTOFF. @defaultValue '06:00' */
  cutoff?: string;
  /** Added to every answer. @defaultValue 20 */
  latencyMs?: number;
  /** How many of the last closed editions a site carries: an edition that starts this many periods late still finds its news. @defaultValue 5 */
  days?: number;
}

export interface SoakWorld {
  seeds: SourceSeed[];
  /** Requests answered, and the edition dates whose news was served (the last one first). */
  requests: number;
  servedDates: () => string[];
  close(): Promise<void>;
}

const DAY = 86_400_000;

/** Starts one server per site (127.0.3.x, a port of its own); resolves once all listen. */
export async function serveSoakWorld(o: SoakWorldOptions): Promise<SoakWorld> {
  const cutoff = o.cutoff ?? '06:00';
  const [hh, mm] = cutoff.split(':').map(Number) as [number, number];
  const kinds: SiteKind[] = (['rss', 'web', 'dynamic'] as const).flatMap((k) => Array<SiteKind>(o.sites[k]).fill(k));
  const vocab = vocabulary();
  const servers: Server[] = [];
  const bases: string[] = [];
  let requests = 0;
  let cache: { key: string; pages: Map<string, Page>[] } | null = null;
  const served = new Set<string>();

  /** The dates of the last `n` editions closed at the accelerated `now`, oldest first. */
  const closedDates = (now: Date, n: number) => {
    const last = new Date(now.getTime() - (hh * 60 + mm) * 60_000);
    return Array.from({ length: n }, (_, k) => dateInZone(new Date(last.getTime() - (n - 1 - k) * DAY), o.timeZone));
  };
  const sitesOf = (dates: string[]) => {
    const sites: WorldSite[] = kinds.map((kind, index) => ({
      index,
      kind,
      key: keyOf(kind, index),
      name: nameOf(kind, index),
      items: [],
    }));
    for (const date of dates) publish(sites, date, o, vocab, cutoff);
    for (const s of sites) s.items.sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime());
    return sites;
  };
  const pagesFor = (now: Date) => {
    const days = o.days ?? 5;
    // Lists and feeds carry the last `days` editions; article pages stay twice as long, so an article listed
    // just before its day rolled off is still there when the collector asks for it.
    const wide = closedDates(now, 2 * days);
    const key = wide.join(',');
    if (cache?.key !== key) {
      const listed = sitesOf(wide.slice(days));
      cache = {
        key,
        pages: sitesOf(wide).map((s, i) => {
          const pages = new Map<string, Page>();
          fillPages(pages, s, bases[i]!, o.timeZone);
          fillPages(pages, listed[i]!, bases[i]!, o.timeZone);
          return pages;
        }),
      };
      for (const d of wide.slice(days)) served.add(d);
    }
    return cache.pages;
  };

  await Promise.all(
    kinds.map(async (kind, index) => {
      const server = createServer((req, res) => {
        requests++;
        const pages = pagesFor(o.clock(new Date()));
        const page = pages[index]!.get(new URL(req.url ?? '/', 'http://x').pathname);
        setTimeout(() => answer(res, page), o.latencyMs ?? 20);
      });
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, `127.0.3.${1 + index}`, () => resolve());
      });
      servers[index] = server;
      bases[index] = `http://127.0.3.${1 + index}:${(server.address() as AddressInfo).port}`;
    }),
  );
  const seeds: SourceSeed[] = kinds.map((kind, index) =>
    sourceSeed({ key: keyOf(kind, index), name: nameOf(kind, index), kind }, bases[index]!, o.timeZone),
  );
  return {
    seeds,
    get requests() {
      return requests;
    },
    servedDates: () => [...served].sort().reverse(),
    close: () => closeServers(servers),
  };
}

const keyOf = (kind: SiteKind, index: number) => `soak:${kind}-${index}`;
const nameOf = (kind: SiteKind, index: number) =>
  `耐久${kind === 'rss' ? '快讯' : kind === 'web' ? '网站' : '电报'}${index}`;

/** The edition `date`'s news: `stories` originals in its window, every other one reposted on a second site. */
function publish(sites: WorldSite[], date: string, o: SoakWorldOptions, vocab: Vocabulary, cutoff: string): void {
  const rand = prng(hashSeed(`soak-${date}`));
  const w = editionWindow(date, { timeZone: o.timeZone, cutoff, windowHours: 24 });
  const span = w.to.getTime() - w.from.getTime();
  for (let s = 0; s < o.stories; s++) {
    const a = syntheticArticle(vocab, rand);
    const doc = { title: a.title, paragraphs: a.text.split('\n\n') };
    const at = w.from.getTime() + (0.05 + 0.8 * rand()) * span;
    const first = (s + Number(date.replaceAll('-', ''))) % sites.length;
    const copies = s % 2 === 0 ? [first, (first + 1) % sites.length] : [first];
    copies.forEach((siteIndex, c) => {
      const edit = c === 0 ? ('original' as const) : EDIT_KINDS[Math.floor(rand() * EDIT_KINDS.length)]!;
      const copy = edit === 'original' ? doc : applyEdit(edit, doc, rand, { day: date.slice(5), title: doc.title });
      const item: WorldItem = {
        slug: `d${date.replaceAll('-', '')}-s${s}-c${c}`,
        story: `${date}/${s}`,
        edit,
        title: copy.title,
        paragraphs: copy.paragraphs.filter((p) => p.trim()),
        publishedAt: new Date(Math.floor((at + c * 0.05 * span) / 1000) * 1000),
        author: '耐久测试',
      };
      sites[siteIndex]!.items.push(item);
    });
  }
}
