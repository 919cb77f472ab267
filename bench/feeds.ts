/**
 * Feed parsing throughput over the real feeds of ../shared/corpora/feeds (45 feeds: RSS 0.9x/1.0/2.0,
 * Atom, RDF): decode → refuse unsafe XML → parse → items with absolute links, plain-text summaries and
 * dates, exactly the collect stage's `parseFeedItems`. One thread, repeated for a few seconds.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decodeBody } from '../src/collect/charset.ts';
import { parseFeedItems } from '../src/collect/rss.ts';
import { corpusDir } from '../test/helpers/corpora.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { machine, round, say } from './lib/results.ts';

const CORPUS = corpusDir('feeds');

interface Feed {
  name: string;
  url: string;
  xml: Buffer;
}

function loadFeeds(): Feed[] {
  if (!existsSync(CORPUS)) throw new Error(`feed corpus not found: ${CORPUS}`);
  return ['real-world', 'examples'].flatMap((kind) =>
    readdirSync(path.join(CORPUS, 'expected', kind)).map((file) => {
      const exp = JSON.parse(readFileSync(path.join(CORPUS, 'expected', kind, file), 'utf8')) as { url: string };
      return {
        name: `${kind}/${file.replace(/\.json$/, '')}`,
        url: exp.url,
        xml: readFileSync(path.join(CORPUS, 'content', kind, file.replace(/\.json$/, ''), 'feed.xml')),
      };
    }),
  );
}

export async function run(): Promise<object> {
  const feeds = loadFeeds();
  const opts = { timeZone: 'UTC', now: new Date('2024-06-01T00:00:00Z') };
  const parseAll = () =>
    feeds.reduce((n, f) => n + parseFeedItems(decodeBody(f.xml, 'application/xml'), f.url, opts).length, 0);
  const itemsPerPass = parseAll();
  const bytes = feeds.reduce((n, f) => n + f.xml.length, 0);
  for (let i = 0; i < 3; i++) parseAll(); // warm up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let passes = 0;
  while (performance.now() - t0 < 5000) {
    parseAll();
    passes++;
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const result = {
    feeds: feeds.length,
    items_per_pass: itemsPerPass,
    bytes_per_pass: bytes,
    passes,
    items_per_second_wall: Math.round((itemsPerPass * passes) / wallS),
    items_per_second_cpu: Math.round((itemsPerPass * passes) / cpuS),
    feeds_per_second_wall: round((feeds.length * passes) / wallS, 1),
    mb_per_second_wall: round((bytes * passes) / wallS / 1e6, 2),
  };
  const m = machine();
  updateDocBlock(
    path.resolve(import.meta.dirname, '../docs/collect.md'),
    'feeds',
    `
\`npm run bench -- feeds\` (${m.at.slice(0, 10)}, Node ${m.node}, ${m.cpus}× ${m.cpu}, load average ${m.load_average.join(' / ')}):
the ${feeds.length} feeds of the corpus (${itemsPerPass.toLocaleString('en-US')} items, ${(bytes / 1e6).toFixed(2)} MB) through \`decodeBody\` + \`parseFeedItems\`, one thread, ${passes} passes.

| items/s (wall) | items per CPU-second | feeds/s | MB/s |
|---|---|---|---|
| **${result.items_per_second_wall.toLocaleString('en-US')}** | ${result.items_per_second_cpu.toLocaleString('en-US')} | ${result.feeds_per_second_wall} | ${result.mb_per_second_wall} |`,
  );
  say(`feeds: ${feeds.length} feeds, ${itemsPerPass} items, ${(bytes / 1e6).toFixed(2)} MB per pass, ${passes} passes`);
  say(
    `  ${result.items_per_second_wall.toLocaleString('en-US')} items/s wall (${result.items_per_second_cpu.toLocaleString('en-US')} per CPU-second), ${result.feeds_per_second_wall} feeds/s, ${result.mb_per_second_wall} MB/s`,
  );
  return result;
}
