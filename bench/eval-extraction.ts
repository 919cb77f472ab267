/**
 * `npm run eval:extraction`: main-text extraction on the article-extraction benchmark
 * (../shared/corpora/article-extraction). First proves the scorer by recomputing the published peers'
 * scores from `peers/*.json` (each within ±0.002, or the run fails), then scores `extractMainText`, also
 * with every CJK character as a token on the pages that are mostly CJK. Writes
 * `bench/results/extraction.json` and `docs/extraction-eval.md`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeBody } from '../src/collect/charset.ts';
import { extractMainText } from '../src/collect/extract-text.ts';
import { corpusDir } from '../test/helpers/corpora.ts';
import { aggregate, cjkCharTokens, pageCounts, score, wordTokens } from './lib/shingle-score.ts';
import type { Scores } from './lib/shingle-score.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const CORPUS = corpusDir('article-extraction');
const TOLERANCE = 0.002;

/** Published F1 / precision / recall (corpora README); null where only F1 was published. */
const PUBLISHED: Record<string, { label: string; f1: number; precision: number | null; recall: number | null }> = {
  trafilatura: { label: 'trafilatura 2.0', f1: 0.958, precision: 0.938, recall: 0.978 },
  newspaper: { label: 'newspaper4k', f1: 0.949, precision: null, recall: null },
  readability_js: { label: 'Readability.js 0.6', f1: 0.947, precision: 0.914, recall: 0.982 },
  go_readability: { label: 'go-readability', f1: 0.934, precision: null, recall: null },
  readability: { label: 'readability-lxml', f1: 0.922, precision: 0.913, recall: 0.931 },
};

type Bodies = Record<string, { articleBody?: string | null }>;

const fmt = (x: number) => x.toFixed(3);
const say = (line: string) => process.stdout.write(`${line}\n`);

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** A peer file is either `{ id: {articleBody} }` or `{ output: { id: {articleBody} }, version }`. */
function readPeer(file: string): { bodies: Bodies; version: string | null } {
  const raw = readJson<Record<string, unknown>>(file);
  if (raw.output && typeof raw.output === 'object')
    return { bodies: raw.output as Bodies, version: typeof raw.version === 'string' ? raw.version : null };
  return { bodies: raw as Bodies, version: null };
}

/** Share of CJK ideographs and kana among the letters of a text. */
function cjkShare(text: string): number {
  const cjk = text.match(/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/gu)?.length ?? 0;
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  return letters ? cjk / letters : 0;
}

function checkPeers(
  truth: Bodies,
): { name: string; label: string; version: string | null; ours: Scores; published: (typeof PUBLISHED)[string] }[] {
  const rows = [];
  const failures: string[] = [];
  for (const file of readdirSync(path.join(CORPUS, 'peers'))
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const name = file.replace(/\.json$/, '');
    const published = PUBLISHED[name];
    if (!published) throw new Error(`peers/${file}: no published score known for "${name}"`);
    const { bodies, version } = readPeer(path.join(CORPUS, 'peers', file));
    const ours = score(truth, bodies);
    const checks: [string, number, number | null][] = [
      ['F1', ours.f1, published.f1],
      ['P', ours.precision, published.precision],
      ['R', ours.recall, published.recall],
    ];
    for (const [metric, got, want] of checks) {
      if (want !== null && Math.abs(got - want) > TOLERANCE)
        failures.push(`${published.label} ${metric}: recomputed ${got.toFixed(4)}, published ${want}`);
    }
    rows.push({ name, label: published.label, version, ours, published });
  }
  if (failures.length)
    throw new Error(`the scorer does not reproduce the published numbers (±${TOLERANCE}):\n  ${failures.join('\n  ')}`);
  return rows;
}

function main(): void {
  if (!existsSync(CORPUS)) throw new Error(`corpus not found: ${CORPUS}`);
  const truth = readJson<Record<string, { articleBody: string; url: string }>>(path.join(CORPUS, 'ground-truth.json'));

  say(`scorer check: published peers recomputed from ${path.relative(ROOT, CORPUS)}/peers (±${TOLERANCE})`);
  const peers = checkPeers(truth);
  for (const p of peers) {
    const pub = p.published;
    say(
      `  ${p.label.padEnd(20)} F1 ${fmt(p.ours.f1)} (published ${pub.f1})  P ${fmt(p.ours.precision)}${pub.precision !== null ? ` (${pub.precision})` : ''}  R ${fmt(p.ours.recall)}${pub.recall !== null ? ` (${pub.recall})` : ''}  ok`,
    );
  }

  const t0 = performance.now();
  const predicted: Record<string, { articleBody: string }> = {};
  for (const id of Object.keys(truth)) {
    const buf = gunzipSync(readFileSync(path.join(CORPUS, 'html', `${id}.html.gz`)));
    const html = decodeBody(buf);
    predicted[id] = { articleBody: extractMainText(html, truth[id]!.url).articleBody };
  }
  const ms = performance.now() - t0;
  const ours = score(truth, predicted);
  say(`\nfinrep extractMainText on ${ours.pages} pages (${(ms / ours.pages).toFixed(1)} ms/page)`);
  say(`  F1 ${fmt(ours.f1)}  P ${fmt(ours.precision)}  R ${fmt(ours.recall)}`);

  const cjkPages = Object.keys(truth).filter((id) => cjkShare(truth[id]!.articleBody) >= 0.2);
  const sub = (ids: string[], tok: (s: string) => string[]) =>
    aggregate(ids.map((id) => pageCounts(truth[id]!.articleBody, predicted[id]!.articleBody, tok)));
  const cjkWord = sub(cjkPages, wordTokens);
  const cjkChar = sub(cjkPages, cjkCharTokens);
  const allChar = sub(Object.keys(truth), cjkCharTokens);
  say(
    `  CJK pages (${cjkPages.length}): \\w+ tokens F1 ${fmt(cjkWord.f1)}; one token per CJK character F1 ${fmt(cjkChar.f1)} (P ${fmt(cjkChar.precision)} R ${fmt(cjkChar.recall)})`,
  );
  say(`  all pages, one token per CJK character: F1 ${fmt(allChar.f1)}`);

  const perPage = Object.keys(truth)
    .map((id) => {
      const c = pageCounts(truth[id]!.articleBody, predicted[id]!.articleBody);
      const p = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
      const r = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
      return { id, url: truth[id]!.url, precision: p, recall: r, f1: p + r ? (2 * p * r) / (p + r) : 0 };
    })
    .sort((a, b) => a.f1 - b.f1);
  const worst = perPage.slice(0, 10);

  const result = {
    corpus: 'scrapinghub/article-extraction-benchmark (181 pages)',
    generated_at: new Date().toISOString(),
    scorer_check: peers.map((p) => ({
      name: p.name,
      label: p.label,
      version: p.version,
      f1: p.ours.f1,
      precision: p.ours.precision,
      recall: p.ours.recall,
      published: p.published,
    })),
    finrep: {
      f1: ours.f1,
      precision: ours.precision,
      recall: ours.recall,
      pages: ours.pages,
      ms_per_page: ms / ours.pages,
    },
    cjk: { pages: cjkPages, word_tokens: cjkWord, char_tokens: cjkChar, all_pages_char_tokens: allChar },
    worst_pages: worst,
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/extraction.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(ROOT, 'docs/extraction-eval.md'), renderDoc(result, peers, ours));
  say(`\nwrote bench/results/extraction.json and docs/extraction-eval.md`);
}

function renderDoc(
  result: {
    cjk: { pages: string[]; word_tokens: Scores; char_tokens: Scores; all_pages_char_tokens: Scores };
    worst_pages: { id: string; url: string; precision: number; recall: number; f1: number }[];
    finrep: { ms_per_page: number };
  },
  peers: ReturnType<typeof checkPeers>,
  ours: Scores,
): string {
  const rows = [
    ...peers.map((p) => ({
      name: `${p.label}${p.version ? ` (${p.version})` : ''}`,
      s: p.ours,
      pub: `${p.published.f1}`,
    })),
    { name: '**finrep** `extractMainText`', s: ours, pub: '—' },
  ].sort((a, b) => b.s.f1 - a.s.f1);
  return `# Main-text extraction: evaluation

Generated by \`npm run eval:extraction\` (\`bench/eval-extraction.ts\`); do not edit by hand. Raw numbers:
\`bench/results/extraction.json\`.

## Corpus and metric

The 181 pages of the [article-extraction benchmark](https://github.com/scrapinghub/article-extraction-benchmark)
(\`../shared/corpora/article-extraction\`, MIT). The scorer (\`bench/lib/shingle-score.ts\`) is the
benchmark's \`evaluate.py\` in TypeScript: \`\\w+\` tokens (Unicode letters, numbers, underscore; case kept),
overlapping 4-token shingles counted as multisets, per page TP = min(true, predicted), FP and FN the
surpluses, normalised by TP+FP+FN so that long pages weigh no more than short ones; precision averaged over
pages with TP+FP > 0, recall over pages with TP+FN > 0, F1 from the two averages.

Before scoring finrep the script recomputes every published peer from \`peers/*.json\` and stops with an
error when one differs from the published number by more than ${TOLERANCE}.

## Results

| extractor | F1 | precision | recall | published F1 |
|---|---|---|---|---|
${rows.map((r) => `| ${r.name} | ${fmt(r.s.f1)} | ${fmt(r.s.precision)} | ${fmt(r.s.recall)} | ${r.pub} |`).join('\n')}

finrep extracts a page in ${result.finrep.ms_per_page.toFixed(1)} ms on average (one core, linkedom + Readability + our heuristics).

### CJK pages

The \`\\w+\` tokenizer makes a whole run of Chinese or Japanese characters one token, which makes scores on
such pages coarse. On the ${result.cjk.pages.length} pages whose ground truth is mostly CJK
(${result.cjk.pages.map((id) => `\`${id.slice(0, 10)}\``).join(', ')}):

| tokens | F1 | precision | recall |
|---|---|---|---|
| \`\\w+\` (the benchmark's) | ${fmt(result.cjk.word_tokens.f1)} | ${fmt(result.cjk.word_tokens.precision)} | ${fmt(result.cjk.word_tokens.recall)} |
| one token per CJK character | ${fmt(result.cjk.char_tokens.f1)} | ${fmt(result.cjk.char_tokens.precision)} | ${fmt(result.cjk.char_tokens.recall)} |

Over all 181 pages with one token per CJK character: F1 ${fmt(result.cjk.all_pages_char_tokens.f1)}.

### Weakest pages

| page | F1 | precision | recall |
|---|---|---|---|
${result.worst_pages.map((w) => `| \`${w.id.slice(0, 10)}\` ${w.url} | ${fmt(w.f1)} | ${fmt(w.precision)} | ${fmt(w.recall)} |`).join('\n')}

The corpus has no Chinese financial portals; those layouts are covered by the fixtures and tests in
\`src/collect/\` (\`extract-text.test.ts\`).
`;
}

try {
  main();
} catch (err) {
  process.stderr.write(`eval:extraction failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
