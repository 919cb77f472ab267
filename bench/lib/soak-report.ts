/**
 * What `bench/soak.ts` makes of its samples: the growth figures (edition 50 → the last, each the median of
 * five samples around it so one busy moment does not decide), the curves as PNGs (ECharts' server-side SVG,
 * rasterised by the report's resvg child, `src/report/raster.ts`) and the Soak block of docs/reliability.md.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { findCjkFont } from '../../src/report/charts.ts';
import { rasterise } from '../../src/report/raster.ts';
import type { SoakSample } from './soak-sample.ts';

echarts.use([LineChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

export interface SoakEdition extends SoakSample {
  n: number;
  date: string;
  status: string;
  run_ms: number;
  articles: number;
  report_items: number;
  delivered: number;
  mails_received: number;
  /** duration_ms of each run_stages row. */
  stages_ms: Record<string, number>;
  /** Status codes of /livez and /runs and the time of /runs; -1 when not probed. */
  web: { livez: number; console: number; console_ms: number };
}

export interface SoakResult {
  machine?: { at: string; load_average: number[] };
  editions_planned: number;
  period_s: number;
  bench_clock: string;
  world: { sites: Record<string, number>; stories_per_edition: number; recipients: number };
  wall_s: number;
  mails_received: number;
  bench_process_peak_rss_mb: number;
  /** False for a run stopped before its last edition; `note` says how its samples were kept. */
  complete?: boolean;
  note?: string;
  /** What was found looking into the run (heap snapshots, fixes), written into the results by hand. */
  findings?: string[];
  editions: SoakEdition[];
}

const ROLES = ['web', 'worker', 'beat'] as const;
/** Growth goal of the issue (seed §11.2, "3 days"). */
export const GOAL_GROWTH = 0.1;

/**
 * The edition growth is measured from (its number): the 50th (the issue's) in a run of 500 or more, a tenth
 * of the way in for a shorter run, the first sampled for samples that begin later (a run sampled from outside).
 */
export function baselineEdition(eds: SoakEdition[]): number {
  const first = eds[0]?.n ?? 1;
  if (first > 1) return first;
  return eds.length >= 500 ? 50 : Math.max(1, Math.round(eds.length / 10));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : Number.NaN;
}

/** The median of a value over the five samples around edition number `at` (the first five, for the first). */
function around(eds: SoakEdition[], at: number, pick: (e: SoakEdition) => number): number {
  const i = Math.max(
    0,
    eds.findIndex((e) => e.n >= at),
  );
  const from = Math.max(0, Math.min(i - 2, eds.length - 5));
  return median(eds.slice(from, from + 5).map(pick));
}
const last = (eds: SoakEdition[], pick: (e: SoakEdition) => number) => median(eds.slice(-5).map(pick));

export interface Growth {
  from: number;
  to: number;
  growth_pct: number;
}

/** From the baseline edition to the end, per measure. */
export function growthOf(r: SoakResult): Record<string, Growth> {
  const eds = r.editions;
  const b = baselineEdition(eds);
  const g = (pick: (e: SoakEdition) => number): Growth => {
    const from = around(eds, b, pick);
    const to = last(eds, pick);
    return { from, to, growth_pct: from > 0 ? Math.round((to / from - 1) * 1000) / 10 : 0 };
  };
  const out: Record<string, Growth> = {};
  for (const role of ROLES) {
    if (!eds[0]?.processes[role]) continue;
    out[`${role}_rss_mb`] = g((e) => e.processes[role]!.rss_mb);
    out[`${role}_pss_mb`] = g((e) => e.processes[role]!.pss_mb);
    out[`${role}_fds`] = g((e) => e.processes[role]!.fds);
  }
  out.chromium_rss_mb = g((e) => e.processes.worker?.chromium_rss_mb ?? 0);
  out.redis_used_memory_mb = g((e) => e.redis.used_memory_mb);
  out.redis_db_clients = g((e) => e.redis.db_clients);
  out.redis_db_keys = g((e) => e.redis.db_keys);
  out.pg_connections = g((e) => e.pg_connections);
  return out;
}

interface Line {
  name: string;
  data: number[];
  color?: string;
  dashed?: boolean;
  /** On the right-hand axis. */
  right?: boolean;
}

const COLORS = { web: '#2f6fde', worker: '#2a9d55', beat: '#8a5cd1', chromium: '#e0663a', other: '#777777' };

function lineChart(
  title: string,
  axes: [string, string?],
  xs: number[],
  lines: Line[],
  family: string,
  height: number,
): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: family },
      title: { text: title, left: 10, top: 8, textStyle: { fontSize: 15, fontFamily: family } },
      legend: { top: 34, left: 10, textStyle: { fontFamily: family } },
      grid: { left: 60, right: axes[1] ? 60 : 24, top: 92, bottom: 44 },
      xAxis: { type: 'value', name: 'edition', nameLocation: 'middle', nameGap: 26, min: 'dataMin', max: 'dataMax' },
      yAxis: [
        { type: 'value', name: axes[0], nameTextStyle: { align: 'left' } },
        ...(axes[1] ? [{ type: 'value', name: axes[1], splitLine: { show: false } }] : []),
      ],
      series: lines.map((l) => ({
        type: 'line',
        name: l.name,
        showSymbol: false,
        yAxisIndex: l.right ? 1 : 0,
        data: l.data.map((y, i) => [xs[i], y]),
        ...(l.color ? { color: l.color } : {}),
        lineStyle: { type: l.dashed ? 'dashed' : 'solid', width: 1.5 },
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** docs/soak-memory.png (RSS and PSS per process), docs/soak-fds.png, docs/soak-stores.png (Redis, PostgreSQL). */
export async function soakPlots(r: SoakResult, root: string): Promise<string[]> {
  const font = findCjkFont();
  const family = font?.family ?? 'sans-serif';
  const eds = r.editions;
  const roles = ROLES.filter((role) => eds[0]?.processes[role]);
  const xs = eds.map((e) => e.n);
  const memory = lineChart(
    `Node processes' memory over ${eds.length} editions (RSS solid, PSS dashed)`,
    ['MB'],
    xs,
    [
      ...roles.flatMap((role) => [
        { name: `${role} RSS`, color: COLORS[role], data: eds.map((e) => e.processes[role]!.rss_mb) },
        { name: `${role} PSS`, color: COLORS[role], dashed: true, data: eds.map((e) => e.processes[role]!.pss_mb) },
      ]),
    ],
    family,
    420,
  );
  const chromium = lineChart(
    "The worker's Chromium, all its processes summed (RSS solid, PSS dashed)",
    ['MB'],
    xs,
    [
      { name: 'Chromium RSS', color: COLORS.chromium, data: eds.map((e) => e.processes.worker?.chromium_rss_mb ?? 0) },
      {
        name: 'Chromium PSS',
        color: COLORS.chromium,
        dashed: true,
        data: eds.map((e) => e.processes.worker?.chromium_pss_mb ?? 0),
      },
    ],
    family,
    300,
  );
  const fds = lineChart(
    'Open file descriptors per process',
    ['fds'],
    xs,
    roles.map((role) => ({ name: role, color: COLORS[role], data: eds.map((e) => e.processes[role]!.fds) })),
    family,
    300,
  );
  const stores = lineChart(
    'Redis and PostgreSQL',
    ['MB / connections', 'keys'],
    xs,
    [
      {
        name: 'Redis used_memory (MB, whole server)',
        color: COLORS.chromium,
        data: eds.map((e) => e.redis.used_memory_mb),
      },
      { name: "Redis clients on the soak's db", color: COLORS.worker, data: eds.map((e) => e.redis.db_clients) },
      { name: 'PostgreSQL connections', color: COLORS.web, data: eds.map((e) => e.pg_connections) },
      {
        name: "Redis keys in the soak's db (right)",
        color: COLORS.other,
        dashed: true,
        right: true,
        data: eds.map((e) => e.redis.db_keys),
      },
    ],
    family,
    320,
  );
  const pngs = await rasterise(
    [memory, chromium, fds, stores].map((svg) => ({ svg, scale: 1 })),
    font,
  );
  const files = ['docs/soak-memory.png', 'docs/soak-chromium.png', 'docs/soak-fds.png', 'docs/soak-stores.png'];
  files.forEach((f, i) => writeFileSync(path.join(root, f), pngs[i]!));
  return files;
}

/** Days from the first edition's date to the last's, both counted. */
function span(eds: SoakEdition[]): number {
  if (eds.length === 0) return 0;
  return Math.round((Date.parse(eds.at(-1)!.date) - Date.parse(eds[0]!.date)) / 86_400_000) + 1;
}

/** Redis keys added per edition, from the first sample to the last. */
function keysPerEdition(eds: SoakEdition[]): number {
  if (eds.length < 2) return 0;
  return Math.round((eds.at(-1)!.redis.db_keys - eds[0]!.redis.db_keys) / (eds.length - 1));
}

/** The Soak block of docs/reliability.md. */
export function soakDoc(r: SoakResult): string {
  const eds = r.editions;
  const g = growthOf(r);
  const b = baselineEdition(eds);
  const end = eds.at(-1)?.n ?? 0;
  const full = eds.length >= 500;
  const pct = (x: Growth) => `${x.growth_pct > 0 ? '+' : ''}${x.growth_pct} %`;
  const row = (label: string, k: string, unit: string, goal: string) => {
    const x = g[k];
    const u = unit ? ` ${unit}` : '';
    return x ? `| ${label} | ${x.from}${u} | ${x.to}${u} | ${pct(x)} | ${goal} |` : null;
  };
  const failed = eds.filter((e) => e.status !== 'ok');
  // A sample without probes (livez -1: taken from outside, without the web's address) is left out.
  const probed = eds.filter((e) => e.web.livez >= 0);
  const webDown = probed.filter((e) => e.web.livez !== 200 || e.web.console !== 200);
  const consoleMs = probed.map((e) => e.web.console_ms).sort((x, y) => x - y);
  const runS = eds.map((e) => e.run_ms / 1000).sort((x, y) => x - y);
  const verdict = (['web', 'worker', 'beat'] as const)
    .map((role) => g[`${role}_rss_mb`])
    .every((x) => !x || x.growth_pct < GOAL_GROWTH * 100);
  return [
    '## Soak',
    '',
    full && r.complete !== false
      ? `${eds.length} consecutive editions through one long-running \`finrep worker\`, \`finrep beat\` and \`finrep web\`.`
      : r.complete === false
        ? `**${end} of ${r.editions_planned} editions: the run was stopped before its end.** ${r.note ?? ''}`
        : `**${eds.length} editions; the full 500 pending** (\`npm run bench:soak -- --editions 500 --period 5\`).`,
    'It stands in for the seed\'s "≥ 72 hours on 2C/2G" and §11.2\'s "3 days": an edition a day, hundreds of',
    "days in accelerated time. Beat's schedule fires every " +
      `${r.period_s} s (\`SCHEDULE_CRON="*/${r.period_s} * * * * *"\`) and the \`FINREP_BENCH_CLOCK\` benchmark hook (off by`,
    'default; `src/config/bench-clock.ts`) dates each fire by a clock running a day per period, so consecutive',
    "fires are consecutive days' editions, each going beat → BullMQ → worker like a real one: collect from a tiny world on",
    `loopback (${Object.entries(r.world.sites)
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )} sites, ${r.world.stories_per_edition} new stories a day, \`bench/lib/soak-world.ts\`), dedup, extract`,
    `(fake LLM), score, compose, deliver to ${r.world.recipients} recipients on a real SMTP server. Editions ran from`,
    `${eds[0]?.date} to ${eds.at(-1)?.date}: ${eds.length} editions over ${span(eds)} days — a fire that comes while the`,
    "worker's two edition slots are busy is skipped (BullMQ's job scheduler puts the next fire in place when a",
    'worker takes the current one), as a real day whose edition could not start would be. As each edition',
    "finishes the harness polls `/livez` and the console's `/runs` and samples every process. Processes run the",
    'compiled build (`npm run build`), PostgreSQL 15 and Redis 7 on the same machine.',
    '',
    `Growth from edition ${b} to edition ${end} (medians of five samples around each; goal < ${GOAL_GROWTH * 100} % for RSS, no growth for the rest):`,
    '',
    '| measure | at edition ' + b + ' | at the end | growth | goal |',
    '|---|---|---|---|---|',
    row('web RSS', 'web_rss_mb', 'MB', '< 10 %'),
    row('worker RSS', 'worker_rss_mb', 'MB', '< 10 %'),
    row('beat RSS', 'beat_rss_mb', 'MB', '< 10 %'),
    row('web PSS', 'web_pss_mb', 'MB', '–'),
    row('worker PSS', 'worker_pss_mb', 'MB', '–'),
    row('beat PSS', 'beat_pss_mb', 'MB', '–'),
    row("worker's Chromium RSS", 'chromium_rss_mb', 'MB', '–'),
    row('web fds', 'web_fds', '', 'flat'),
    row('worker fds', 'worker_fds', '', 'flat'),
    row('beat fds', 'beat_fds', '', 'flat'),
    row('Redis used_memory (whole server)', 'redis_used_memory_mb', 'MB', 'flat'),
    row("Redis clients on the soak's db", 'redis_db_clients', '', 'flat'),
    row("Redis keys in the soak's db", 'redis_db_keys', '', 'bounded by age'),
    row("PostgreSQL connections to the soak's database", 'pg_connections', '', 'flat'),
    '',
    `${verdict ? 'RSS growth within the goal.' : '**RSS growth above the goal.**'} ` +
      `Editions: ${eds.length - failed.length} ok of ${eds.length}${failed.length ? ` (${failed.map((e) => `#${e.n} ${e.status}`).join(', ')})` : ''}; ` +
      `run time median ${median(runS).toFixed(1)} s, max ${runS.at(-1)?.toFixed(1)} s; ${r.mails_received} mails received; ` +
      `\`/livez\` and \`/runs\` answered 200 after ${probed.length - webDown.length} of ${probed.length} editions (\`/runs\` median ${median(consoleMs)} ms); ` +
      `wall ${Math.round(r.wall_s / 60)} min${r.machine ? `, ${r.machine.at.slice(0, 16).replace('T', ' ')} UTC, load ${r.machine.load_average.join(' ')}` : ''}.`,
    ...emptyEditions(eds, b),
    "Redis used_memory is the whole server's (other databases included); the soak's own db is told apart by",
    'its clients and keys. Its keys grow with the editions on purpose: BullMQ keeps finished jobs by *real* age',
    '(stage jobs 14 days, edition jobs 30 days: `src/jobs/bullmq.ts`, `src/jobs/beat.ts`), which accelerated time',
    `never reaches — so the soak keeps every job of its ${eds.length} editions (${keysPerEdition(eds)} keys an edition), where a`,
    'real deployment holds two to four weeks of them. PostgreSQL connections are a sample of a pool that opens',
    'and closes connections as work comes: the table compares medians, the plot shows the range.',
    '',
    ...(r.findings?.length ? ['### What the soak found', '', ...r.findings.map((f) => `- ${f}`), ''] : []),
    '![RSS and PSS of the Node processes by edition](soak-memory.png)',
    "![RSS and PSS of the worker's Chromium by edition](soak-chromium.png)",
    '![Open file descriptors by edition](soak-fds.png)',
    '![Redis and PostgreSQL by edition](soak-stores.png)',
    '',
    `Written by \`npm run bench:soak -- --editions ${r.editions_planned} --period ${r.period_s}\`; raw samples in \`bench/results/soak-${r.editions_planned}.json\`.`,
  ]
    .filter((l) => l !== null)
    .join('\n');
}

/**
 * Editions that collected nothing measure an idle pipeline, not a working one: named, with the RSS growth up to the
 * last edition that had news (medians of five editions around each end, like the table).
 */
function emptyEditions(eds: SoakEdition[], from: number): string[] {
  const empty = eds.filter((e) => e.articles === 0);
  if (empty.length === 0) return [];
  const last = Math.max(from, ...eds.filter((e) => e.articles > 0).map((e) => e.n));
  const at = (n: number, p: 'web' | 'worker' | 'beat') =>
    median(eds.filter((e) => Math.abs(e.n - n) <= 2 && e.processes[p]).map((e) => e.processes[p]!.rss_mb));
  const growth = (['web', 'worker', 'beat'] as const)
    .map((p) => `${p} ${((at(last - 2, p) / at(from, p) - 1) * 100).toFixed(1)} %`)
    .join(', ');
  return [
    `**${empty.length} editions collected nothing** (#${empty[0]!.n} to #${empty.at(-1)!.n}): the accelerated clock ran past ` +
      'the real date, whose news the collector refuses as future-dated. RSS growth from edition ' +
      `${from} to #${last - 2} (the last with news): ${growth}.`,
    '',
  ];
}
