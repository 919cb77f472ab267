/**
 * `npm run eval:local`: the local extractor on the labelled set — category accuracy, sentiment accuracy,
 * entity recall — printed and written to bench/results/extract-local.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { evaluateLocal } from '../src/extract/local/evaluate.ts';
import { localExtractorVersion, warmUpLocalExtractor } from '../src/extract/local/index.ts';

warmUpLocalExtractor();
const r = evaluateLocal();
const pct = (x: { found: number; total: number; rate: number }) =>
  `${(x.rate * 100).toFixed(1)}% (${x.found}/${x.total})`;
const lines = [
  `local extractor ${localExtractorVersion} on ${r.items} labelled items`,
  `category accuracy   ${pct(r.category)}`,
  `sentiment accuracy  ${pct(r.sentiment)}`,
  `entity recall       ${pct(r.entities)}`,
  `  companies         ${pct(r.companies)}`,
  `  tickers           ${pct(r.tickers)}`,
  `  people            ${pct(r.people)}`,
  `  institutions      ${pct(r.institutions)}`,
  `time per item       ${r.msPerItem} ms`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (process.argv.includes('--misses')) for (const m of r.misses) process.stdout.write(`${JSON.stringify(m)}\n`);
const out = path.resolve('bench/results/extract-local.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ version: localExtractorVersion, at: new Date().toISOString(), ...r }, null, 2)}\n`,
);
process.stdout.write(`written to ${path.relative(process.cwd(), out)}\n`);
