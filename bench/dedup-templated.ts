/**
 * Dedup on templated news (`src/dedup/testdata/templated.ts`): ~1,000-character reports from a few sentence
 * templates, none a repost of another.
 *
 * 1. `finrep dedup --jsonl` as a whole process (start-up included) on 1,000 / 2,000 / 4,000 / 20,000 reports,
 *    through `bin/finrep.js` (tsx) and, when built, `dist/main.js`; start-up alone is the same command on an
 *    empty file. Wall time, best of `--trials` (default 3), with the child's CPU time (this 2-vCPU machine is
 *    shared: CPU time is what the work costs when nothing competes for the core).
 * 2. The candidate work per newcomer (`CandidateStats`) at each size — flat in n.
 *
 * The edition's dedup stage on one feed's flood is `bench/dedup-stage-100k.ts`.
 *
 * `npm run bench -- dedup-templated [--trials N]`
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { clusterItems, dedupDoc } from '../src/dedup/cluster.ts';
import { candidateStats } from '../src/dedup/postings.ts';
import type { CandidateStats } from '../src/dedup/postings.ts';
import { templatedReports } from '../src/dedup/testdata/templated.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { machine, round, say } from './lib/results.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SIZES = [1000, 2000, 4000, 20_000];

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** One run of a command under /usr/bin/time: wall and CPU seconds, peak RSS, whether it succeeded. */
function timed(argv: string[]): { wall: number; cpu: number; rssMb: number; ok: boolean } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const [wall, user, sys, rssKb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [
    number,
    number,
    number,
    number,
  ];
  return { wall, cpu: round(user + sys, 2), rssMb: Math.round(rssKb / 1024), ok: r.status === 0 };
}

function best(argv: string[], trials: number) {
  const load = loadavg()[0]!;
  const runs = Array.from({ length: trials }, () => timed(argv));
  if (runs.some((r) => !r.ok)) throw new Error(`${argv.join(' ')} failed`);
  return {
    wall_s: Math.min(...runs.map((r) => r.wall)),
    cpu_s: Math.min(...runs.map((r) => r.cpu)),
    max_rss_mb: Math.max(...runs.map((r) => r.rssMb)),
    walls_s: runs.map((r) => r.wall),
    load_average_1m: round(load, 2),
  };
}

function cliRuns(dir: string, trials: number) {
  const files = new Map<number, string>();
  for (const n of [0, ...SIZES]) {
    const file = path.join(dir, `templated-${n}.jsonl`);
    writeFileSync(
      file,
      templatedReports(n)
        .map((d) => JSON.stringify({ id: d.id, title: d.title, text: d.text, published: d.publishedAt.toISOString() }))
        .join('\n'),
    );
    files.set(n, file);
  }
  const entries = [
    ['bin/finrep.js', path.join(ROOT, 'bin/finrep.js')],
    ['dist/main.js', path.join(ROOT, 'dist/main.js')],
  ].filter(([, p]) => existsSync(p!));
  return entries.map(([name, entry]) => {
    const startup = best([process.execPath, entry!, 'dedup', '--jsonl', files.get(0)!], trials);
    const runs = [
      ...SIZES.map((n) => ({ n, threads: null as number | null })),
      { n: SIZES.at(-1)!, threads: 0 }, // the same work in one thread: what the worker threads gain
    ];
    const sizes = runs.map(({ n, threads }) => {
      const argv = [process.execPath, entry!, 'dedup', '--jsonl', files.get(n)!];
      if (threads !== null) argv.push('--threads', String(threads));
      const r = best(argv, trials);
      const rate = Math.round(n / r.wall_s);
      say(
        `  ${name} dedup --jsonl ${n}${threads === null ? '' : ` --threads ${threads}`}: ${r.wall_s} s (${rate} docs/s, CPU ${r.cpu_s} s, peak RSS ${r.max_rss_mb} MB, load ${r.load_average_1m}), per document after start-up ${round(((r.wall_s - startup.wall_s) / n) * 1e6, 0)} µs`,
      );
      return {
        documents: n,
        threads: threads ?? 'default',
        ...r,
        docs_per_second: rate,
        microseconds_per_doc_after_startup: round(((r.wall_s - startup.wall_s) / n) * 1e6, 0),
      };
    });
    say(`  ${name} start-up (dedup --jsonl on an empty file): ${startup.wall_s} s`);
    return { entry: name, startup, sizes };
  });
}

function candidateWork() {
  return SIZES.map((n) => {
    const stats = candidateStats();
    const docs = templatedReports(n);
    const items = docs.map((d) => Object.assign(dedupDoc(d.title, d.text), { id: d.id, publishedAt: d.publishedAt }));
    const t0 = performance.now();
    const stories = new Set(clusterItems(items, { stats }).values()).size;
    const ms = performance.now() - t0;
    const row = {
      documents: n,
      stories,
      ...perNewcomer(stats),
      max_verified: stats.maxVerified,
      cluster_ms: round(ms, 0),
    };
    say(
      `  clusterItems ${n}: ${row.verified_per_newcomer} verified and ${row.postings_per_newcomer} postings read per newcomer (max ${stats.maxVerified}), ${stories} stories`,
    );
    return row;
  });
}

const perNewcomer = (s: CandidateStats) => ({
  verified_per_newcomer: round(s.verified / s.newcomers, 1),
  postings_per_newcomer: round(s.postingsRead / s.newcomers, 1),
});

export async function run(args: string[] = []): Promise<object> {
  const trials = option(args, '--trials', 3);
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-templated-'));
  const m = machine();
  try {
    say(
      `dedup-templated: templated reports of ~${Math.round(templatedReports(200).reduce((n, d) => n + d.title.length + d.text.length, 0) / 200)} characters, none a repost of another`,
    );
    const work = candidateWork();
    const cli = cliRuns(dir, trials);
    const result = { machine: m, trials, candidate_work: work, cli };
    writeDoc(result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeDoc(r: {
  machine: ReturnType<typeof machine>;
  trials: number;
  candidate_work: ReturnType<typeof candidateWork>;
  cli: ReturnType<typeof cliRuns>;
}): void {
  const m = r.machine;
  const cliRows = r.cli.flatMap((c) =>
    c.sizes.map(
      (s) =>
        `| \`node ${c.entry}\`${s.threads === 'default' ? '' : ` \`--threads ${s.threads}\``} | ${s.documents.toLocaleString('en-US')} | ${s.wall_s} s | **${s.docs_per_second.toLocaleString('en-US')}** | ${s.cpu_s} s | ${s.max_rss_mb} MB | ${s.load_average_1m} | ${s.microseconds_per_doc_after_startup} µs |`,
    ),
  );
  const startups = r.cli.map((c) => `\`${c.entry}\` ${c.startup.wall_s} s`).join(', ');
  const work = r.candidate_work.map(
    (w) =>
      `| ${w.documents.toLocaleString('en-US')} | ${w.verified_per_newcomer} | ${w.postings_per_newcomer} | ${w.max_verified} | ${w.stories.toLocaleString('en-US')} |`,
  );
  updateDocBlock(
    path.resolve(ROOT, 'docs/dedup.md'),
    'dedup-templated',
    `
\`npm run bench -- dedup-templated\` (${m.at.slice(0, 10)}, Node ${m.node}, ${m.cpus}× ${m.cpu}, load average ${m.load_average.join(' / ')}):
templated reports (\`src/dedup/testdata/templated.ts\`: four templates of ~960 characters sharing a market backdrop,
one every 15 s, so 20,000 fill one 72-hour window), none a repost of another.

Candidate work per newcomer (\`clusterItems\`, \`CandidateStats\`) — flat in n (before: every earlier report of the window, ~n/2):

| reports | verified per newcomer | postings read per newcomer | max verified | stories |
|---|---|---|---|---|
${work.join('\n')}

\`finrep dedup --jsonl\` as a whole process (best wall time of ${r.trials}; start-up alone, on an empty file: ${startups}):

| command | reports | wall | docs/s | CPU (all threads) | peak RSS | load (1 min) | per document after start-up |
|---|---|---|---|---|---|---|---|
${cliRows.join('\n')}

The edition's dedup stage on 100,000 near-identical items of one feed has its own benchmark:
\`npm run bench -- dedup-stage-100k\` (its section below).
`,
  );
}
