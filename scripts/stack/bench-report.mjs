// The summary of scripts/stack-bench.sh: node scripts/stack/bench-report.mjs WORK_DIR WALL_MS
// Reads WORK_DIR/memory.tsv (epoch_ms name usage working_set, one line per container and second),
// limits.txt (name peak_usage failcnt oom_kills limit oomkilled restarts, from the cgroups and docker inspect),
// report.json (the world's /report) and run.json (`finrep run --json`), and prints the tables.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, wallArg] = process.argv.slice(2);
const read = (f) => readFileSync(path.join(dir, f), 'utf8');
const MiB = 1024 * 1024;
const mib = (b) => (Number.isFinite(b) ? Math.round(b / MiB) : '?');
const SERVICES = ['web', 'worker', 'beat', 'postgres', 'redis'];
const GOAL_MIB = Math.floor(1.8e9 / MiB); // 1.8 GB read strictly: 1,716 MiB

const samples = read('memory.tsv')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    const [at, name, usage, ws] = l.split(' ');
    return { at: Number(at), name: name.replace(/^finrep_|_(prod|bench)$/g, ''), usage: Number(usage), ws: Number(ws) };
  });
const limits = Object.fromEntries(
  read('limits.txt')
    .trim()
    .split('\n')
    .map((l) => {
      const [name, peak, failcnt, oomKills, limit, oomKilled, restarts] = l.split(' ');
      return [
        name.replace(/^finrep_|_prod$/g, ''),
        { peak: Number(peak), failcnt, oomKills: oomKills || '0', limit: Number(limit), oomKilled, restarts },
      ];
    }),
);
const report = JSON.parse(read('report.json'));
const run = (() => {
  for (const line of read('run.json').trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {
      /* keep looking */
    }
  }
  return null;
})();

const t0 = Math.min(...samples.map((s) => s.at));
const peakOf = (name, key) => {
  const mine = samples.filter((s) => s.name === name);
  const top = mine.reduce((a, s) => (s[key] > (a?.[key] ?? -1) ? s : a), null);
  return top ? { value: top[key], at_s: Math.round((top.at - t0) / 1000) } : { value: NaN, at_s: NaN };
};
// The five services together, second by second (samples of one loop share a second).
const bySecond = new Map();
for (const s of samples) {
  if (!SERVICES.includes(s.name)) continue;
  const k = Math.floor((s.at - t0) / 1000);
  const e = bySecond.get(k) ?? {};
  e[s.name] = s;
  bySecond.set(k, e);
}
let together = { ws: 0, usage: 0, at_s: 0 };
for (const [k, e] of bySecond) {
  if (Object.keys(e).length < SERVICES.length) continue;
  const ws = SERVICES.reduce((a, n) => a + e[n].ws, 0);
  const usage = SERVICES.reduce((a, n) => a + e[n].usage, 0);
  if (ws > together.ws) together = { ws, usage, at_s: k };
}

const out = [];
const wallS = Number(wallArg) / 1000;
const b = report.bound;
const runWall = report.check.runs?.[0]?.wall_ms;
out.push(
  `edition ${report.date}: ${report.workload.sources.rss} RSS + ${report.workload.sources.web} static + ${report.workload.sources.dynamic} dynamic sources, ` +
    `${report.workload.items} items of ${report.workload.stories} stories, ${report.workload.recipients} recipients; ` +
    `latency ${report.workload.latency_ms} ms, LLM ${report.workload.llm_latency_ms} ms x ${report.workload.limits.llm_concurrency}, mail ${report.workload.limits.mail_rate_per_sec}/s`,
  `wall ${wallS.toFixed(1)} s (the one-off run container, start to exit; the run row: ${runWall ? (runWall / 1000).toFixed(1) : '?'} s) ` +
    `vs bound ${b.total_s.toFixed(1)} s = max(collect ${b.collect_s.toFixed(1)}, LLM ${b.llm_s.toFixed(1)}) + mail ${b.mail_s.toFixed(1)} ` +
    `-> x${(wallS / b.total_s).toFixed(3)} (bench:edition's goal <= 1.15)`,
);
if (run?.timings_ms)
  out.push(
    `stages (s, pipelined): ${Object.entries(run.timings_ms)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`)
      .join(', ')}`,
  );
out.push('');
out.push(
  'memory per container (MiB): limit | peak working set (sampled 1/s, = docker stats) | peak usage incl. page cache (sampled) | cgroup max_usage (kernel) | failcnt | OOM kills | OOMKilled | restarts',
);
for (const n of SERVICES) {
  const l = limits[n] ?? {};
  const ws = peakOf(n, 'ws');
  const u = peakOf(n, 'usage');
  out.push(
    `  ${n.padEnd(9)} ${String(mib(l.limit)).padStart(5)} | ${String(mib(ws.value)).padStart(5)} at ${ws.at_s} s | ${String(mib(u.value)).padStart(5)} | ${String(mib(l.peak)).padStart(5)} | ${l.failcnt} | ${l.oomKills} | ${l.oomKilled} | ${l.restarts}`,
  );
}
const sumWs = SERVICES.reduce((a, n) => a + peakOf(n, 'ws').value, 0);
const sumKernel = SERVICES.reduce((a, n) => a + (limits[n]?.peak ?? NaN), 0);
const runPeak = peakOf('run', 'ws');
out.push(
  `  sum of the five peaks: working set ${mib(sumWs)} MiB; cgroup max_usage ${mib(sumKernel)} MiB (page cache included; peaks at different moments)`,
  `  the five together at their highest second: working set ${mib(together.ws)} MiB (usage ${mib(together.usage)} MiB) at ${together.at_s} s`,
  `  goal: <= 1.8 GB (${GOAL_MIB} MiB) -> ${mib(sumWs) <= GOAL_MIB ? 'met' : 'NOT met'} by the sum of working-set peaks; ${mib(sumKernel) <= GOAL_MIB ? 'met' : 'not met'} by the kernel's max_usage sum`,
  `  (not counted: the one-off \`finrep run\` container, peak ${mib(runPeak.value)} MiB — a waiter; on a server beat or the API starts the edition; the world container is the Internet's stand-in)`,
);
const c = report.check;
out.push(
  '',
  `articles ${c.articles.stored}/${c.articles.expected} (${c.articles.duplicated_canonical_urls} duplicated URLs), clusters ${c.stories.clusters} for ${c.stories.expected} stories ` +
    `(${c.stories.stories_split} split, ${c.stories.clusters_merged} merged), report items ${c.report_items.count}, extractions ${c.extractions}`,
  `collect per source: ${Object.entries(c.collect_by_kind)
    .map(
      ([k, v]) =>
        `${k} ${v.fetches} fetches avg ${(v.avg_ms / 1000).toFixed(1)} s max ${(v.max_ms / 1000).toFixed(1)} s, ${v.items} items${v.failed ? `, ${v.failed} failed` : ''}`,
    )
    .join('; ')}`,
  `LLM: ${report.llm.requests} calls for ${report.llm.distinct_prompts} distinct prompts, peak ${report.llm.peak_in_flight} in flight; sites: ${JSON.stringify(report.requests)}`,
  `mail: ${c.mail.received} messages received by the sink for ${c.mail.recipients} recipients — ${c.mail.recipients_received} recipients got one, ` +
    `${c.mail.recipients_missing} missing, ${c.mail.recipients_duplicated} duplicated (max ${c.mail.max_per_recipient} per recipient); ` +
    `delivery_log ${c.delivery_log.rows} rows ${JSON.stringify(c.delivery_log.by_status)}; ${report.smtp.connections} SMTP connections`,
  c.ok ? 'exactly-once checks: ok' : `exactly-once checks FAILED: ${c.problems.join('; ')}`,
);
process.stdout.write(`${out.join('\n')}\n`);
