/**
 * `npm run bench:chaos -- [--scenario S] [options]`: chaos trials in the production shape (issue 20) — web,
 * two workers and beat (the compiled `dist/main.js`, as the image runs), on a PostgreSQL cluster and a
 * redis-server of the trials' own, each process supervised (restarted 2 s after it dies, as compose's
 * `restart:` does). The world is small (bench/lib/chaos-stack.ts): one trial takes about a minute.
 * Every trial has a fresh database; its edition is started as an operator would, `POST /api/v1/runs` with an
 * admin bearer token, and the run is polled through the web (`GET /api/v1/runs/:id`) throughout.
 *
 * Scenarios (`--scenario`, default `kill`):
 * - `kill`: an undisturbed baseline, then `--trials N` (20) trials, each SIGKILLing one process (web,
 *   worker-1, worker-2 or beat, with its children) at a moment uniform over 5–95 % of the baseline's wall
 *   time (`--window-ms` instead). Trial i's seed is `--seed` × 1000 + i; it alone picks the victim and the
 *   moment, so `--seed S --only i` replays one trial.
 * - `pg-restart` / `redis-restart`: the PostgreSQL cluster (`pg_ctl stop -m fast`, `--down-s` 5 s, start) or
 *   the redis-server (SIGKILL, no persistence: every key lost; restarted after `--down-s`) at a seeded moment;
 *   `/healthz` is polled throughout and must answer 503 during and 200 after.
 * - `outage`: once extraction has begun, the SMTP server (421 to every recipient) and both LLM providers
 *   (500 to every call) are down for `--outage-s` (60) seconds.
 * - `disk-full`: the reports folder is a 4 MiB tmpfs, filled up before the edition (root only): compose must
 *   fail clearly and leave no report file, and the next run, with space again, completes.
 * After every trial: the edition completed, every item of the world stored once, one delivery_log row and
 * exactly one mail per recipient (SMTP side), the console never ahead of or contradicting the database.
 * Writes bench/results/chaos.json (per scenario) and rewrites the tables in docs/reliability.md.
 * `--doc` only rewrites the tables from the stored results.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { checkConsole, pollConsole } from './lib/chaos-console.ts';
import type { ConsoleCheck } from './lib/chaos-console.ts';
import { ROLES, startChaosWorld, startEditionViaApi, startStack } from './lib/chaos-stack.ts';
import type { ChaosShape, ChaosStack, ChaosWorld, Role } from './lib/chaos-stack.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { checkEdition } from './lib/edition-world-checks.ts';
import { cliArgs } from './lib/cli-args.ts';
import type { EditionCheck } from './lib/edition-world-checks.ts';
import { sleep, useEntry } from './lib/edition-world-procs.ts';
import { mulberry32 } from './lib/edition-world-workers.ts';
import { latestPastEdition } from './lib/edition-world.ts';
import { RESULTS_DIR, machine, round, say, writeResult } from './lib/results.ts';

const DOC = path.resolve(import.meta.dirname, '../docs/reliability.md');
const SCENARIOS = ['kill', 'pg-restart', 'redis-restart', 'outage', 'disk-full'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { flag, value, num } = cliArgs();

const SCENARIO = (value('scenario') ?? 'kill') as Scenario;
if (!SCENARIOS.includes(SCENARIO)) throw new Error(`--scenario: one of ${SCENARIOS.join(', ')}`);
const SEED = num('seed', 1);
const TRIALS = num('trials', SCENARIO === 'kill' ? 20 : 1);
const ONLY = value('only') === undefined ? null : num('only', 0);
const RESTART_DELAY_MS = num('restart-delay-ms', 2000);
const TIMEOUT_MS = num('timeout-s', 420) * 1000;
const TZ = 'Asia/Shanghai';
const SHAPE: ChaosShape = {
  sources: { rss: num('rss', 10), web: num('web', 2) },
  stories: num('stories', 40),
  items: num('items', 120),
  recipients: num('recipients', 40),
  latencyMs: num('latency', 100),
  llmLatencyMs: num('llm-latency', 400),
  mailRatePerSec: num('rate', 4),
};

interface Trial {
  trial: number | 'baseline';
  seed: number | null;
  scenario: Scenario;
  victim: string | null;
  moment_ms: number | null;
  /** The stages running at the moment of the fault. */
  stages_at_moment: string[];
  wall_s: number | null;
  run_status: string | null;
  runs: number;
  restarts: Partial<Record<Role, number>>;
  articles: { stored: number; expected: number; duplicated: number };
  mails: { received: number; recipients: number; duplicated: number; missing: number };
  delivery_log: { rows: number; by_status: Record<string, number> };
  console: ConsoleCheck | null;
  healthz?: { during: Record<string, number>; after: number | null; problems: string[] };
  extra?: Record<string, unknown>;
  ok: boolean;
  problems: string[];
}

if (flag('doc')) {
  writeDoc(storedScenarios());
  say(`→ ${DOC}`);
} else {
  await main();
}

async function main(): Promise<void> {
  useEntry('dist');
  execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../scripts/build.mjs')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const date = value('date') ?? latestPastEdition(new Date(), TZ);
  const window = editionWindow(date, { timeZone: TZ, cutoff: '06:00', windowHours: 24 });
  const world = await startChaosWorld({ date, from: window.from, to: window.to, timeZone: TZ, shape: SHAPE });
  say(
    `bench:chaos — ${SCENARIO}, edition ${date}, ${world.plan.sites.length} sources, ${world.plan.items} items, ` +
      `${world.plan.stories} stories, ${SHAPE.recipients} recipients; seed ${SEED}`,
  );
  const trials: Trial[] = [];
  const started = new Date().toISOString();
  try {
    if (SCENARIO === 'disk-full') trials.push(...(await diskFull(world)));
    else {
      let windowMs = value('window-ms') === undefined ? null : num('window-ms', 0);
      if (windowMs === null) {
        const base = await trial(world, { index: 'baseline', seed: null });
        trials.push(base);
        windowMs = (base.wall_s ?? 60) * 1000;
      }
      for (let i = 1; i <= TRIALS; i++) {
        if (ONLY !== null && i !== ONLY) continue;
        trials.push(await trial(world, { index: i, seed: SEED * 1000 + i, windowMs }));
      }
    }
  } finally {
    await world.close();
  }
  const failed = trials.filter((t) => !t.ok);
  say(`${trials.length} trials, ${failed.length} failed`);
  if (!flag('no-write')) {
    // One batch per scenario, and per seed other than 1 (`kill-seed2`).
    const key = SEED === 1 ? SCENARIO : `${SCENARIO}-seed${SEED}`;
    const all = { ...storedScenarios(), [key]: { seed: SEED, shape: SHAPE, started, machine: machine(), trials } };
    say(`  → ${writeResult('chaos', { scenarios: all })}`);
    writeDoc(all);
    say(`  → ${DOC}`);
  }
  if (failed.length) process.exitCode = 1;
}

/** One trial: a fresh stack, the edition started through the API, the scenario's fault, the checks. */
async function trial(
  world: ChaosWorld,
  t: { index: number | 'baseline'; seed: number | null; windowMs?: number },
): Promise<Trial> {
  const random = mulberry32(t.seed ?? 0);
  const victim: string | null =
    t.seed === null
      ? null
      : SCENARIO === 'kill'
        ? ROLES[Math.floor(random() * ROLES.length)]!
        : SCENARIO === 'pg-restart'
          ? 'postgresql'
          : SCENARIO === 'redis-restart'
            ? 'redis'
            : 'smtp+llm';
  const fraction = 0.05 + 0.9 * random();
  const plannedMs = t.seed === null || SCENARIO === 'outage' ? null : Math.round(fraction * (t.windowMs ?? 60_000));
  const name = `chaos_${process.pid}_${t.index}`;
  say(`trial ${t.index}: ${victim ?? 'no fault'}${plannedMs !== null ? ` at ${round(plannedMs / 1000, 1)} s` : ''}`);
  const stack = await startStack(world, { name, restartDelayMs: RESTART_DELAY_MS });
  const fault: { at_ms: number | null; extra: Record<string, unknown>; webDown: { from: number; to: number }[] } = {
    at_ms: null,
    extra: {},
    webDown: [],
  };
  const healthz: { at_ms: number; code: number }[] = [];
  let result: Trial;
  try {
    const { runId, poller } = await startPolled(world, stack);
    let ended = false;
    const healthLoop =
      SCENARIO === 'pg-restart' || SCENARIO === 'redis-restart'
        ? (async () => {
            while (!ended) {
              const r = await fetch(`${stack.webUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
              healthz.push({ at_ms: Math.round(performance.now() - stack.t0), code: r?.status ?? 0 });
              await sleep(500);
            }
          })()
        : Promise.resolve();
    const faultDone = injectFault(world, stack, { victim, plannedMs, fault, runId });
    const end = await waitForEnd(stack.databaseUrl, runId, stack.t0);
    await faultDone;
    ended = true;
    await healthLoop;
    if (SCENARIO === 'pg-restart' || SCENARIO === 'redis-restart') {
      // After the end: healthy again within a minute (the worker and beat heartbeats come back).
      const deadline = performance.now() + 60_000;
      while (performance.now() < deadline) {
        const r = await fetch(`${stack.webUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
        healthz.push({ at_ms: Math.round(performance.now() - stack.t0), code: r?.status ?? 0 });
        if (r?.status === 200) break;
        await sleep(1000);
      }
    }
    await poller.stop();
    result = await judge(world, stack, {
      t,
      victim,
      fault,
      end,
      runId,
      samples: poller.samples,
      healthz,
    });
  } catch (err) {
    result = emptyTrial(t, victim, `trial aborted: ${(err as Error).message}`);
  } finally {
    const stops = await stack.stop().catch(() => []);
    const late = stops.filter((s) => !s.graceful).map((s) => s.role);
    if (late.length) say(`  (not stopped within 20 s, killed: ${late.join(', ')})`);
  }
  say(
    `  → ${result.ok ? 'ok' : 'FAILED'}: run ${result.run_status} in ${result.wall_s} s, articles ${result.articles.stored}/${result.articles.expected}, ` +
      `mails ${result.mails.received}/${result.mails.recipients} (dup ${result.mails.duplicated}, missing ${result.mails.missing}), ` +
      `polls ${result.console?.polls ?? 0} (${result.console?.failed_polls ?? 0} failed)${result.problems.length ? `\n    ${result.problems.join('\n    ')}` : ''}`,
  );
  return result;
}

/** Starts the trial's clock and its edition (through the API), and polls the run through the web. */
async function startPolled(world: ChaosWorld, stack: ChaosStack) {
  stack.t0 = performance.now();
  const runId = await startEditionViaApi(stack, world.date);
  const poller = pollConsole({
    webUrl: stack.webUrl,
    token: stack.token,
    runId,
    databaseUrl: stack.databaseUrl,
    t0: stack.t0,
    everyMs: 500,
    smtpReceived: () => world.smtp.messages.length - stack.smtpBase,
  });
  return { runId, poller };
}

/** Runs the scenario's fault; resolves when it is over (the victim back, the outage ended). */
async function injectFault(
  world: ChaosWorld,
  stack: ChaosStack,
  o: {
    victim: string | null;
    plannedMs: number | null;
    runId: number;
    fault: { at_ms: number | null; extra: Record<string, unknown>; webDown: { from: number; to: number }[] };
  },
): Promise<void> {
  if (o.victim === null) return;
  const now = () => Math.round(performance.now() - stack.t0);
  if (SCENARIO === 'outage') {
    // Once extraction has begun: the LLM calls and then the mails meet the outage.
    await waitForStage(stack.databaseUrl, o.runId, 'extract', stack.t0);
    const outageMs = num('outage-s', 60) * 1000;
    o.fault.at_ms = now();
    world.llm.deepseek.configure({ failure: 'server_error' });
    world.llm.qwen.configure({ failure: 'server_error' });
    world.smtpDown.reply = { code: 421, message: '4.3.2 Service not available, closing transmission channel' };
    say(`  [chaos] SMTP and both LLM providers down at ${round(o.fault.at_ms / 1000, 1)} s for ${outageMs / 1000} s`);
    await sleep(outageMs);
    world.llm.deepseek.configure({ failure: null });
    world.llm.qwen.configure({ failure: null });
    world.smtpDown.reply = null;
    o.fault.extra = { outage_ms: outageMs, back_at_ms: now() };
    return;
  }
  while (now() < o.plannedMs!) await sleep(50);
  o.fault.at_ms = now();
  if (SCENARIO === 'kill') {
    const p = stack.procs[o.victim as Role];
    const pid = p.current.pid;
    const processes = await p.kill();
    say(`  [chaos] SIGKILL ${o.victim} (pid ${pid}, ${processes} processes) at ${round(o.fault.at_ms / 1000, 1)} s`);
    o.fault.extra = { pid, processes };
    if (o.victim === 'web') {
      // Down from the kill until the restarted web answers again.
      while (p.current.pid === pid) await sleep(100);
      const from = o.fault.at_ms;
      for (;;) {
        const r = await fetch(`${stack.webUrl}/livez`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
        if (r?.status === 200) break;
        await sleep(200);
      }
      o.fault.webDown.push({ from, to: now() + 500 });
      o.fault.extra.web_back_after_ms = now() - from;
    }
    return;
  }
  const downMs = num('down-s', 5) * 1000;
  if (SCENARIO === 'pg-restart') {
    await world.pg.stop('fast');
    say(`  [chaos] PostgreSQL stopped at ${round(o.fault.at_ms / 1000, 1)} s`);
    await sleep(downMs);
    await world.pg.start();
  } else {
    await world.redis.kill();
    say(`  [chaos] redis-server killed at ${round(o.fault.at_ms / 1000, 1)} s (no persistence: every key lost)`);
    await sleep(downMs);
    await world.redis.start();
  }
  o.fault.extra = { down_ms: downMs, back_at_ms: now() };
  // Polls that fail while the database is down are expected: the web answers 503 or times out then.
  o.fault.webDown.push({ from: o.fault.at_ms, to: now() + 15_000 });
}

/**
 * Waits until the run is finished in the database and stays so for `stableMs` (a retried job may reopen
 * it: the edition job's retries back off 2, 4, 8, 16 s).
 */
async function waitForEnd(
  databaseUrl: string,
  runId: number,
  t0: number,
  stableMs = 3000,
): Promise<{ status: string | null; at_ms: number | null }> {
  let since: { status: string; at: number } | null = null;
  while (performance.now() - t0 < TIMEOUT_MS) {
    const status = await runStatus(databaseUrl, runId).catch(() => null);
    if (status && status !== 'running') {
      since ??= { status, at: Math.round(performance.now() - t0) };
      if (performance.now() - t0 - since.at > stableMs) return { status, at_ms: since.at };
    } else since = null;
    await sleep(500);
  }
  return { status: null, at_ms: null };
}

async function runStatus(databaseUrl: string, runId: number): Promise<string | null> {
  const pgm = await import('pg');
  const c = new pgm.default.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    const { rows } = await c.query<{ status: string }>('select status from runs where id = $1', [runId]);
    return rows[0]?.status ?? null;
  } finally {
    await c.end();
  }
}

async function waitForStage(databaseUrl: string, runId: number, stage: string, t0: number): Promise<void> {
  const pgm = await import('pg');
  while (performance.now() - t0 < TIMEOUT_MS) {
    const c = new pgm.default.Client({ connectionString: databaseUrl });
    await c.connect();
    const { rows } = await c
      .query('select 1 from run_stages where run_id = $1 and stage = $2', [runId, stage])
      .finally(() => c.end());
    if (rows.length) return;
    await sleep(200);
  }
}

/** Reads what the trial left and checks it. */
async function judge(
  world: ChaosWorld,
  stack: ChaosStack,
  o: {
    t: { index: number | 'baseline'; seed: number | null };
    victim: string | null;
    fault: { at_ms: number | null; extra: Record<string, unknown>; webDown: { from: number; to: number }[] };
    end: { status: string | null; at_ms: number | null };
    runId: number;
    samples: Parameters<typeof checkConsole>[0];
    healthz: { at_ms: number; code: number }[];
  },
): Promise<Trial> {
  const received = world.smtp.messages.slice(stack.smtpBase).flatMap((m) => m.envelope.to);
  const database = await openDatabase({ databaseUrl: stack.databaseUrl, dataDir: stack.dataDir, migrate: false });
  let check: EditionCheck;
  let finalStages: Record<string, string>;
  let events: { stage: string | null; kind: string; message: string }[];
  try {
    check = await checkEdition(database.db, {
      date: world.date,
      storyOfUrl: world.sites.storyOfUrl,
      expectedArticles: world.plan.items,
      expectedStories: world.plan.stories,
      recipients: world.recipients.map((r) => r.email),
      received,
    });
    const stages = (await database.db.execute(
      sql`select stage, status from run_stages where run_id = ${o.runId}`,
    )) as unknown as { rows: { stage: string; status: string }[] };
    finalStages = Object.fromEntries(stages.rows.map((r) => [r.stage, r.status]));
    events = (
      (await database.db.execute(
        sql`select stage, kind, message from run_events where run_id = ${o.runId} and kind in ('degraded', 'error', 'recovered') order by id`,
      )) as unknown as { rows: { stage: string | null; kind: string; message: string }[] }
    ).rows;
    if (SCENARIO === 'outage') {
      // What the console's delivery log shows of the outage: rows tried more than once, and why.
      const retried = (
        (await database.db.execute(
          sql`select count(*) filter (where attempts > 1)::int as retried, max(attempts)::int as max_attempts,
                count(*) filter (where reply_code = 421 or error like '%421%')::int as last_421
              from delivery_log where edition_id = (select edition_id from runs where id = ${o.runId})`,
        )) as unknown as { rows: { retried: number; max_attempts: number; last_421: number }[] }
      ).rows[0];
      o.fault.extra.delivery_retries = retried;
      const llm = (
        (await database.db.execute(
          sql`select provider, count(*)::int as n from extractions group by 1 order by 1`,
        )) as unknown as { rows: { provider: string; n: number }[] }
      ).rows;
      o.fault.extra.extractions_by_provider = Object.fromEntries(llm.map((r) => [r.provider, r.n]));
    }
  } finally {
    await database.close();
  }
  const finalStatus = check.runs.find((r) => r.id === o.runId)?.status ?? null;
  const console = checkConsole(o.samples, {
    webDown: o.fault.webDown,
    finalStatus,
    finalStages,
    smtpFinal: received.length,
  });
  const problems: string[] = [];
  const expected = SCENARIO === 'outage' ? ['ok', 'partial'] : ['ok'];
  if (o.end.status === null) problems.push(`the edition did not finish within ${TIMEOUT_MS / 1000} s`);
  else if (!expected.includes(o.end.status)) problems.push(`the run ended ${o.end.status}`);
  problems.push(...check.problems);
  if (check.mail.recipients_missing > 0 && check.mail.recipients_missing_uncertain > 0)
    problems.push(`${check.mail.recipients_missing_uncertain} recipients received nothing (delivery uncertain)`);
  problems.push(...console.problems.map((p) => `console: ${p}`));
  let hz: Trial['healthz'];
  if (o.healthz.length) {
    const during = o.healthz.filter((h) => o.fault.at_ms !== null && h.at_ms >= o.fault.at_ms);
    const byCode: Record<string, number> = {};
    for (const h of during) byCode[h.code] = (byCode[h.code] ?? 0) + 1;
    const after = o.healthz.at(-1)?.code ?? null;
    const hp: string[] = [];
    if (!during.some((h) => h.code === 503)) hp.push('/healthz never answered 503 while the server was down');
    if (after !== 200) hp.push(`/healthz answers ${after} after the end`);
    hz = { during: byCode, after, problems: hp };
    problems.push(...hp);
  }
  const runStages = check.run_stages;
  const at = o.fault.at_ms;
  const stagesAt =
    at === null
      ? []
      : [
          ...new Set(
            runStages
              .filter(
                (s) => s.start_offset_ms <= at && (s.duration_ms === null || s.start_offset_ms + s.duration_ms >= at),
              )
              .map((s) => s.stage),
          ),
        ];
  const restarts = Object.fromEntries(
    ROLES.filter((r) => stack.procs[r].restarts).map((r) => [r, stack.procs[r].restarts]),
  );
  const extra: Record<string, unknown> = { ...o.fault.extra };
  if (events.length)
    extra.events = events.slice(0, 12).map((e) => `${e.stage ?? '-'} ${e.kind}: ${e.message.slice(0, 160)}`);
  return {
    trial: o.t.index,
    seed: o.t.seed,
    scenario: SCENARIO,
    victim: o.victim,
    moment_ms: at,
    stages_at_moment: stagesAt,
    wall_s: o.end.at_ms === null ? null : round(o.end.at_ms / 1000, 1),
    run_status: finalStatus,
    runs: check.runs.length,
    restarts,
    articles: {
      stored: check.articles.stored,
      expected: check.articles.expected,
      duplicated: check.articles.duplicated_canonical_urls,
    },
    mails: {
      received: check.mail.received,
      recipients: check.mail.recipients,
      duplicated: check.mail.recipients_duplicated,
      missing: check.mail.recipients_missing,
    },
    delivery_log: { rows: check.delivery_log.rows, by_status: check.delivery_log.by_status },
    console,
    ...(hz ? { healthz: hz } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
    ok: problems.length === 0,
    problems,
  };
}

function emptyTrial(
  t: { index: number | 'baseline'; seed: number | null },
  victim: string | null,
  problem: string,
): Trial {
  return {
    trial: t.index,
    seed: t.seed,
    scenario: SCENARIO,
    victim,
    moment_ms: null,
    stages_at_moment: [],
    wall_s: null,
    run_status: null,
    runs: 0,
    restarts: {},
    articles: { stored: 0, expected: 0, duplicated: 0 },
    mails: { received: 0, recipients: 0, duplicated: 0, missing: 0 },
    delivery_log: { rows: 0, by_status: {} },
    console: null,
    ok: false,
    problems: [problem],
  };
}

/**
 * The data disk full during compose: the reports folder is a small tmpfs, filled before the edition. The
 * first run must fail, say why, and leave no report file; with the space back, a second run of the same
 * edition completes and sends once.
 */
async function diskFull(world: ChaosWorld): Promise<Trial[]> {
  if (process.getuid?.() !== 0) throw new Error('disk-full: mounting a tmpfs needs root');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-chaos-disk-'));
  const reports = path.join(dataDir, 'reports');
  mkdirSync(reports);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${num('tmpfs-kb', 4096)}k`, 'tmpfs', reports]);
  const trials: Trial[] = [];
  const stack = await startStack(world, {
    name: `chaos_${process.pid}_disk`,
    restartDelayMs: RESTART_DELAY_MS,
    dataDir,
  });
  try {
    // Fill it: what is left is smaller than any report.
    try {
      writeFileSync(path.join(reports, '.filler'), Buffer.alloc(num('tmpfs-kb', 4096) * 1024));
    } catch {
      /* ENOSPC: full, as intended */
    }
    const free = Number(execFileSync('df', ['--output=avail', '-B1', reports]).toString().split('\n')[1]);
    say(`disk-full: reports on a ${num('tmpfs-kb', 4096)} KiB tmpfs, ${free} bytes free`);
    for (const phase of ['full', 'recovered'] as const) {
      if (phase === 'recovered') rmSync(path.join(reports, '.filler'), { force: true });
      const { runId, poller } = await startPolled(world, stack);
      const end = await waitForEnd(stack.databaseUrl, runId, stack.t0, phase === 'full' ? 45_000 : 3000);
      await poller.stop();
      const files = listFiles(reports).filter((f) => !f.name.endsWith('.filler'));
      const t = await judge(world, stack, {
        t: { index: phase === 'full' ? 1 : 2, seed: null },
        victim: phase === 'full' ? 'reports disk full' : null,
        fault: { at_ms: phase === 'full' ? 0 : null, extra: { files }, webDown: [] },
        end,
        runId,
        samples: poller.samples,
        healthz: [],
      });
      if (phase === 'full') {
        // Expected here: a failed run, nothing sent, no report file, a reason naming the disk.
        const error = await runError(stack.databaseUrl, runId);
        t.extra = { ...t.extra, error };
        const problems: string[] = [];
        if (t.run_status !== 'failed') problems.push(`the run ended ${t.run_status}, expected failed`);
        if (!/ENOSPC|no space/i.test(error ?? ''))
          problems.push(`the run's error does not name the full disk: ${error}`);
        if (files.some((f) => /report\.html|email\.html|report\.txt|\.xlsx$/.test(f.name)))
          problems.push(
            `report files left on the full disk: ${files.map((f) => `${f.name} (${f.bytes} B)`).join(', ')}`,
          );
        const partial = files.filter((f) => f.name.endsWith('.tmp'));
        if (partial.length)
          problems.push(`half-written files left: ${partial.map((f) => `${f.name} (${f.bytes} B)`).join(', ')}`);
        if (t.mails.received > 0) problems.push(`${t.mails.received} mails sent from a failed compose`);
        problems.push(...(t.console?.problems ?? []).map((p) => `console: ${p}`));
        t.problems = problems;
        t.ok = problems.length === 0;
      }
      trials.push(t);
      say(`  ${phase}: ${t.ok ? 'ok' : 'FAILED'} — run ${t.run_status} in ${t.wall_s} s; ${t.problems.join('; ')}`);
    }
  } finally {
    await stack.stop().catch(() => []);
    execFileSync('umount', [reports]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return trials;
}

async function runError(databaseUrl: string, runId: number): Promise<string | null> {
  const pgm = await import('pg');
  const c = new pgm.default.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ error: string | null }>('select error from runs where id = $1', [runId]);
    return rows[0]?.error ?? null;
  } finally {
    await c.end();
  }
}

function listFiles(dir: string, prefix = ''): { name: string; bytes: number }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`)
      : [{ name: `${prefix}${e.name}`, bytes: statSync(path.join(dir, e.name)).size }],
  );
}

interface StoredScenario {
  seed: number;
  shape: ChaosShape;
  started: string;
  machine: { at: string; load_average: number[] };
  trials: Trial[];
}

function storedScenarios(): Record<string, StoredScenario> {
  const file = path.join(RESULTS_DIR, 'chaos.json');
  return existsSync(file)
    ? ((JSON.parse(readFileSync(file, 'utf8')) as { scenarios?: Record<string, StoredScenario> }).scenarios ?? {})
    : {};
}

/** The stages running at the fault, or that it came after the edition had ended. */
function stagesThen(t: Trial): string {
  if (t.stages_at_moment.length) return t.stages_at_moment.join(', ');
  return t.moment_ms !== null && t.wall_s !== null && t.moment_ms / 1000 > t.wall_s ? 'after the end' : '–';
}

/** One table per scenario in docs/reliability.md, each between its own markers. */
function writeDoc(all: Record<string, StoredScenario>): void {
  for (const [s, stored] of Object.entries(all)) {
    const lines = [
      `${stored.trials.length} trials, ${stored.trials.filter((t) => t.ok).length} passed — seed ${stored.seed}, started ${stored.started.slice(0, 16).replace('T', ' ')} UTC, load ${stored.machine.load_average.join(' / ')} at the end; ` +
        `world: ${stored.shape.sources.rss} feeds + ${stored.shape.sources.web} sites, ${stored.shape.items} items of ${stored.shape.stories} stories, ${stored.shape.recipients} recipients at ${stored.shape.mailRatePerSec}/s.`,
      '',
      '| trial | seed | fault | at s | stages then | wall s | run | articles | mails (dup / missing) | delivery_log | polls (failed; web down) | checks |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ];
    for (const t of stored.trials) {
      const c = t.console;
      lines.push(
        `| ${t.trial} | ${t.seed ?? '–'} | ${t.victim ?? 'none'} | ${t.moment_ms === null ? '–' : round(t.moment_ms / 1000, 1)} | ${stagesThen(t)} ` +
          `| ${t.wall_s ?? '–'} | ${t.run_status ?? '–'} | ${t.articles.stored}/${t.articles.expected} | ${t.mails.received}/${t.mails.recipients} (${t.mails.duplicated} / ${t.mails.missing}) ` +
          `| ${t.delivery_log.rows} ${Object.entries(t.delivery_log.by_status)
            .map(([k, v]) => `${k} ${v}`)
            .join(
              ', ',
            )} | ${c ? `${c.polls} (${c.failed_polls}; ${c.failed_polls_web_down})` : '–'} | ${t.ok ? 'ok' : `**FAILED**: ${t.problems.join('; ').replaceAll('|', '/')}`} |`,
      );
    }
    // Outside the kill trials, what the fault left behind: events, retries, files, /healthz.
    if (!s.startsWith('kill'))
      for (const t of stored.trials) {
        const facts = { ...(t.extra ?? {}), ...(t.healthz ? { healthz: t.healthz } : {}) };
        if (Object.keys(facts).length)
          lines.push('', `Trial ${t.trial}: \`${JSON.stringify(facts).replaceAll('`', "'").slice(0, 1500)}\``);
      }
    updateDocBlock(DOC, `chaos-${s}`, lines.join('\n'));
  }
}
