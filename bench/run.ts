/**
 * `npm run bench [-- NAME... [options]]`: runs benchmarks by name (all by default) and writes each one's
 * result to bench/results/NAME.json (not with --no-write). Add a benchmark with one line in BENCHES.
 */
import { say, writeResult } from './lib/results.ts';

/** `ownResults`: the benchmark writes its own dated file (NAME.json would overwrite another's results). */
type Bench = { description: string; run: (args: string[]) => Promise<object>; ownResults?: boolean };

const BENCHES: Record<string, Bench> = {
  simhash: {
    description: 'SimHash fingerprints/s on 1,000-character Chinese documents',
    run: async () => (await import('./dedup-simhash.ts')).run(),
  },
  'dedup-quality': {
    description: 'near-duplicate precision/recall on the generated set',
    run: async () => (await import('./dedup-quality.ts')).run(),
  },
  'dedup-lookup': {
    description: 'near-dup lookup p50/p99 at 1M stored fingerprints (PostgreSQL)',
    run: async (a) => (await import('./dedup-lookup.ts')).run(a),
  },
  'dedup-templated': {
    description: 'finrep dedup --jsonl on 1k–20k templated reports; the stage on 100,000 near-identical items',
    run: async (a) => (await import('./dedup-templated.ts')).run(a),
  },
  'dedup-stage-100k': {
    description: "the edition's dedup stage on 100,000 near-identical items of one feed (PGlite, PostgreSQL)",
    run: async (a) => (await import('./dedup-stage-100k.ts')).run(a),
  },
  feeds: {
    description: 'feed parsing items/s over ../shared/corpora/feeds',
    run: async () => (await import('./feeds.ts')).run(),
  },
  'feed-cap': {
    description: 'one 14 MB feed of 100,000 items collected with the default item cap (--uncapped: also without)',
    run: async (a) => (await import('./feed-cap.ts')).run(a),
  },
  collect: {
    description: 'collecting a generated 200-source world with injected latency, against the concurrency bound',
    run: async (a) => (await import('./collect.ts')).run(a),
  },
  web: {
    description: "the console's pages under autocannon on 100,000 articles in PostgreSQL: p50/p95/p99, errors, RSS",
    run: async (a) => (await import('./web.ts')).run(a),
    ownResults: true,
  },
  startup: {
    description: "wall time, CPU and peak RSS of each finrep command (dist, bin, tsx) against PGlite's own open",
    run: async (a) => (await import('./startup.ts')).run(a),
  },
};

/** Names that stand for several benchmarks. */
const GROUPS: Record<string, string[]> = {
  dedup: ['simhash', 'dedup-quality', 'dedup-lookup'],
};

async function main(argv: string[]): Promise<void> {
  const names = argv.filter((a, i) => !a.startsWith('--') && !(argv[i - 1]?.startsWith('--') && /^\d+$/.test(a)));
  const options = argv.filter((a) => !names.includes(a));
  const selected = (names.length ? names : Object.keys(BENCHES)).flatMap((n) => GROUPS[n] ?? [n]);
  const unknown = selected.filter((n) => !BENCHES[n]);
  if (unknown.length) {
    throw new Error(
      `unknown benchmark ${unknown.join(', ')}; known: ${[...Object.keys(BENCHES), ...Object.keys(GROUPS)].join(', ')}`,
    );
  }
  for (const name of selected) {
    say(`\n# ${name}: ${BENCHES[name]!.description}`);
    const result = await BENCHES[name]!.run(options);
    if (BENCHES[name]!.ownResults) continue;
    if (options.includes('--no-write')) say('  (--no-write: result not saved)');
    else say(`  → ${writeResult(name, result)}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
