// `npm run test:lanes [-- --lanes N] [--record] [FILTER…]`: both test passes — PGlite (`vitest run`) and PostgreSQL
// (`FINREP_TEST_DB=postgres vitest run --project db`) — at once, spread over N lanes (default 4).
//
// Most of the suite's time is spent waiting (on child processes, servers, timers, Chromium), not computing, so
// lanes side by side finish far sooner on two cores than the passes one after the other. Each lane is a vitest
// process with a Redis server of its own (FINREP_TEST_REDIS_PORT, read by test/helpers/workers.ts `redisUrlFor`):
// the tests pick Redis databases by number and flush them, which two lanes must not share. PostgreSQL databases
// and data folders are already private to each test (test/helpers/db.ts).
//
// Files are given to lanes longest first (each to the lane with the least work so far), by the durations in
// test/durations.json; a file missing there counts as the median. `--record` writes the durations of this run
// back to that file (do it after adding or slowing tests much; the lanes then stay balanced).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const DURATIONS = path.join(root, 'test/durations.json');
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const laneCount = Number(option('--lanes') ?? process.env.FINREP_TEST_LANES ?? 4);
if (!Number.isInteger(laneCount) || laneCount < 1 || laneCount > 16) {
  console.error(`test-lanes: --lanes must be a whole number from 1 to 16, got ${option('--lanes')}`);
  process.exit(2);
}
const record = args.includes('--record');
/** Other arguments narrow the run to the files whose path contains one of them, like vitest's own filters. */
const filters = args.filter((a, i) => !a.startsWith('--') && !['--lanes'].includes(args[i - 1]));
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');

const PASSES = {
  pglite: { env: {}, args: [] },
  postgres: { env: { FINREP_TEST_DB: 'postgres' }, args: ['--project', 'db'] },
};

/** The files a pass runs, as vitest itself selects them (the config's includes and excludes). */
function filesOf(pass) {
  const r = spawnSync(process.execPath, [vitest, 'list', '--filesOnly', '--json', ...PASSES[pass].args], {
    cwd: root,
    env: { ...process.env, ...PASSES[pass].env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`vitest list (${pass}) failed:\n${r.stderr}`);
  return [...new Set(JSON.parse(r.stdout).map((f) => path.relative(root, f.file)))];
}

function readDurations() {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8'));
  } catch {
    return {};
  }
}

/** Longest first, each to the least loaded lane. */
function plan(jobs, lanes) {
  const known = jobs
    .map((j) => j.ms)
    .filter((ms) => ms !== undefined)
    .sort((a, b) => a - b);
  const median = known.length ? known[Math.floor(known.length / 2)] : 1000;
  const out = Array.from({ length: lanes }, (_, i) => ({ id: i + 1, ms: 0, files: { pglite: [], postgres: [] } }));
  for (const job of jobs.map((j) => ({ ...j, ms: j.ms ?? median })).sort((a, b) => b.ms - a.ms)) {
    const lane = out.reduce((a, b) => (b.ms < a.ms ? b : a));
    lane.ms += job.ms;
    lane.files[job.pass].push(job.file);
  }
  return out;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A Redis server of the lane's own, answering PING before the lane starts. */
async function startRedis(dir) {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  servers.add(child);
  child.once('exit', () => servers.delete(child));
  const failed = new Promise((_, reject) => child.once('error', reject));
  for (let i = 0; i < 100; i++) {
    const pong = await Promise.race([
      failed,
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('error', () => resolve(false));
        s.once('data', (d) => (s.destroy(), resolve(String(d).startsWith('+PONG'))));
        s.once('connect', () => s.write('PING\r\n'));
      }),
    ]);
    if (pong) return { port, stop: () => child.kill('SIGKILL') };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

/** Runs one pass's files in the lane, its output prefixed line by line. */
function runVitest(lane, pass, files, port, report) {
  if (!files.length) return Promise.resolve(0);
  const tag = `[${lane.id} ${pass === 'postgres' ? 'pg' : 'pglite'}] `;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        vitest,
        'run',
        ...PASSES[pass].args,
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${report}`,
        ...files,
      ],
      {
        cwd: root,
        env: { ...process.env, ...PASSES[pass].env, FINREP_TEST_REDIS_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    running.add(child);
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) process.stdout.write(`${tag}${line}\n`);
      });
      stream.on('end', () => rest && process.stdout.write(`${tag}${rest}\n`));
    }
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const running = new Set();
const servers = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const server of servers) server.kill('SIGKILL');
    process.exit(130);
  });
}

const durations = readDurations();
const jobs = [];
for (const pass of Object.keys(PASSES))
  for (const file of filesOf(pass).filter((f) => !filters.length || filters.some((x) => f.includes(x))))
    jobs.push({ pass, file, ms: durations[`${pass}:${file}`] });
const lanes = plan(jobs, laneCount);
const work = mkdtempSync(path.join(tmpdir(), 'finrep-lanes-'));
const started = Date.now();
console.log(`test-lanes: ${jobs.length} file runs in ${laneCount} lanes (PGlite and PostgreSQL passes at once)`);
for (const lane of lanes)
  console.log(
    `  lane ${lane.id}: ${lane.files.pglite.length} PGlite + ${lane.files.postgres.length} PostgreSQL files, ~${Math.round(lane.ms / 1000)} s recorded`,
  );

const results = await Promise.all(
  lanes.map(async (lane) => {
    const redis = await startRedis(work);
    const at = Date.now();
    try {
      const codes = [];
      for (const pass of Object.keys(PASSES))
        codes.push(
          await runVitest(lane, pass, lane.files[pass], redis.port, path.join(work, `lane${lane.id}-${pass}.json`)),
        );
      return { lane, code: codes.find((c) => c !== 0) ?? 0, sec: (Date.now() - at) / 1000 };
    } finally {
      redis.stop();
    }
  }),
);

const reports = [];
for (const lane of lanes)
  for (const pass of Object.keys(PASSES)) {
    try {
      reports.push({ pass, report: JSON.parse(readFileSync(path.join(work, `lane${lane.id}-${pass}.json`), 'utf8')) });
    } catch {
      // no files of this pass in the lane, or vitest died before its report: the lane's exit code says which
    }
  }
const failed = reports.flatMap(({ pass, report }) =>
  report.testResults
    .filter((t) => t.status === 'failed')
    .map(
      (t) =>
        `${pass}: ${path.relative(root, t.name)} (${t.assertionResults.filter((a) => a.status === 'failed').length} failed)`,
    ),
);
const totals = reports.reduce(
  (n, { report }) => ({
    passed: n.passed + report.numPassedTests,
    failed: n.failed + report.numFailedTests,
    skipped: n.skipped + report.numPendingTests + report.numTodoTests,
  }),
  { passed: 0, failed: 0, skipped: 0 },
);
if (record) {
  const next = {};
  for (const { pass, report } of reports)
    for (const t of report.testResults)
      next[`${pass}:${path.relative(root, t.name)}`] = Math.round(t.endTime - t.startTime);
  writeFileSync(DURATIONS, `${JSON.stringify(Object.fromEntries(Object.entries(next).sort()), null, 2)}\n`);
  console.log(`test-lanes: recorded ${Object.keys(next).length} durations in test/durations.json`);
}
rmSync(work, { recursive: true, force: true });

console.log(`\ntest-lanes: ${Math.round((Date.now() - started) / 1000)} s in all`);
for (const r of results)
  console.log(`  lane ${r.lane.id}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${Math.round(r.sec)} s`);
console.log(`  tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
for (const f of failed) console.log(`  failed: ${f}`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
