import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { freePort } from './helpers/private-servers.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

/** Runs the real command with only the given environment (plus PATH/HOME), in an empty folder. */
function finrep(args: string[], env: Record<string, string | undefined>, cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('finrep command: bad configuration ends in one line and a non-zero exit', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'finrep-cli-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each([
    {
      name: 'REPORT_TOPN=abc',
      env: { REPORT_TOPN: 'abc' },
      line: /^finrep: configuration error: REPORT_TOPN: expected an integer \(got "abc"\)$/,
      code: 2,
    },
    {
      name: 'unreadable SMTP_PASS_FILE',
      env: { SMTP_PASS_FILE: '/nonexistent/smtp_pass' },
      line: /^finrep: configuration error: SMTP_PASS_FILE: cannot read \/nonexistent\/smtp_pass \(ENOENT\)$/,
      code: 2,
    },
    {
      name: 'a DATABASE_URL that refuses connections',
      env: { DATABASE_URL: 'postgres://fin_user:topsecret@127.0.0.1:1/fin' },
      line: /^finrep: database error: DATABASE_URL: cannot connect to postgres:\/\/fin_user:\*\*\*@127\.0\.0\.1:1\/fin \(ECONNREFUSED\)$/,
      code: 1,
    },
  ])('$name', ({ env, line, code }) => {
    const r = finrep(['run', '--dry-run'], { FINREP_DATA_DIR: path.join(cwd, 'data'), ...env }, cwd);
    expect(r.code).toBe(code);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(r.stderr).not.toContain('topsecret');
    expect(r.stdout).toBe('');
  });
});

describe(`finrep run --demo --json (${TEST_DB})`, () => {
  let t: TestDatabase;
  let cwd: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.close(); // the command opens it itself (PGlite allows one process)
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-cli-'));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it(
    'prints exactly one JSON summary on stdout and writes the report, workbook and mails',
    { timeout: 240_000 },
    () => {
      const env: Record<string, string> = {
        FINREP_DATA_DIR: t.dataDir,
        ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}),
      };
      const r = finrep(['run', '--demo', '--json', '--date', '2025-11-10'], env, cwd);
      expect(r.stderr).toContain('report:');
      // On the server the CLI names the report's file (the web pages show its links instead).
      expect(r.stderr).toMatch(/✔ compose \(\d+ ms\): \d+ items, .* → \S+2025-11-10\S+/);
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(Object.keys(summary)).toEqual(
        expect.arrayContaining(['edition', 'status', 'collect', 'dedup', 'extract', 'report', 'deliver', 'timings_ms']),
      );
      expect(summary.edition).toBe('2025-11-10');
      expect(summary.collect).toEqual(
        expect.objectContaining({
          sources: expect.any(Number),
          fetched: expect.any(Number),
          new_articles: expect.any(Number),
          failed_sources: 0,
        }),
      );
      expect(summary.dedup).toEqual(
        expect.objectContaining({
          unique: expect.any(Number),
          clusters: expect.any(Number),
          duplicates: expect.any(Number),
        }),
      );
      expect(summary.extract).toEqual(
        expect.objectContaining({
          articles: expect.any(Number),
          by_provider: { local: expect.any(Number) },
          currency: 'CNY',
        }),
      );
      expect(summary.deliver).toEqual(expect.objectContaining({ recipients: 3, sent: 3, failed: 0, skipped: 0 }));
      expect(existsSync(summary.report.html)).toBe(true);
      expect(existsSync(summary.report.xlsx)).toBe(true);
      expect(readdirSync(path.join(t.dataDir, 'outbox', '2025-11-10')).filter((f) => f.endsWith('.eml'))).toHaveLength(
        3,
      );

      const again = finrep(['run', '--demo', '--json', '--date', '2025-11-10'], env, cwd);
      expect(again.code).toBe(0);
      const second = JSON.parse(again.stdout);
      expect(second.collect.new_articles).toBe(0);
      expect(second.deliver).toEqual(expect.objectContaining({ sent: 0, skipped: 3 }));
    },
  );
});

/** The real command, started: its output so far, and its end. */
function startFinrep(args: string[], env: Record<string, string | undefined>, cwd: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, ...out })),
  );
  /** Resolves when stderr contains `text` (rejects if the command ends first). */
  const waitFor = async (text: string) => {
    let ended = false;
    void done.then(() => {
      ended = true;
    });
    while (!out.stderr.includes(text)) {
      if (ended) throw new Error(`finrep ended before printing "${text}":\n${out.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, done, waitFor };
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? '';

/** A Redis of this test's own, on a spare port (killed by the test, never the shared one). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net
        .connect(port, '127.0.0.1', () => {
          s.end();
          resolve(true);
        })
        .on('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

describe(`finrep run with REDIS_URL and Redis down: fails in bounded time with one line (${TEST_DB})`, () => {
  let t: TestDatabase;
  let cwd: string;
  let redis: ChildProcess | null = null;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.close();
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-cli-'));
  });
  afterAll(async () => {
    redis?.kill('SIGKILL');
    await t?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });
  const env = (redisUrl: string) => ({
    FINREP_DATA_DIR: t.dataDir,
    REDIS_URL: redisUrl,
    REDIS_WAIT_SEC: '3',
    ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}),
  });

  it(
    'nothing listens on the port: names the Redis (password hidden) and the failure, queues nothing',
    { timeout: 120_000 },
    async () => {
      const port = await freePort();
      const r = await startFinrep(
        ['run', '--dry-run', '--date', '2025-11-10'],
        env(`redis://:hunter2@127.0.0.1:${port}/3`),
        cwd,
      ).done;
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toBe(
        `finrep: redis error: REDIS_URL redis://:***@127.0.0.1:${port}/3: unreachable for 3 s (connect ECONNREFUSED 127.0.0.1:${port}) while connecting (nothing was queued)`,
      );
      expect(r.stderr).not.toContain('hunter2');
      expect(r.stdout).toBe('');
    },
  );

  it(
    'Redis stopped while the command waits for its edition: ends with the job it waited for',
    { timeout: 120_000 },
    async () => {
      const port = await freePort();
      redis = await startRedis(port);
      const run = startFinrep(['run', '--dry-run', '--date', '2025-11-10'], env(`redis://127.0.0.1:${port}/0`), cwd);
      await run.waitFor('waiting for a worker');
      redis.kill('SIGKILL');
      const r = await run.done;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`REDIS_URL redis://127.0.0.1:${port}/0 unreachable: waiting up to 3 s for it`);
      expect(lastLine(r.stderr)).toMatch(
        new RegExp(
          `^finrep: redis error: REDIS_URL redis://127\\.0\\.0\\.1:${port}/0: unreachable for 3 s \\(.+\\) while waiting for edition job e2025-11-10-r\\d+ \\(run \\d+\\)$`,
        ),
      );
    },
  );
});

describe.runIf(TEST_DB === 'postgres')('finrep run when its database is dropped under it', () => {
  let t: TestDatabase;
  let cwd: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.close();
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-cli-'));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('exits 1, its last line naming the cause, without SQL parameters', { timeout: 240_000 }, async () => {
    const run = startFinrep(
      ['run', '--demo', '--dry-run', '--date', '2025-11-10'],
      { FINREP_DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl! },
      cwd,
    );
    await run.waitFor('▶ collect');
    const name = new URL(t.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: new URL('/postgres', t.databaseUrl!).toString() });
    await admin.connect();
    await admin.query(`drop database ${name} with (force)`);
    await admin.end();
    const r = await run.done;
    expect(r.code).toBe(1);
    // Which query meets the drop first decides the words: the server's notice to a connection in use, the next
    // connection's refusal, or (when the edition job's retry finds its pooled connection cut) the driver's own.
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(
        `^finrep: database error: (database "${name}" does not exist|terminating connection due to administrator command|Connection terminated unexpectedly|Client has encountered a connection error and is not queryable)`,
      ),
    );
    const human = r.stderr.split('\n').filter((l) => !l.startsWith('{')); // the JSON log lines are for machines
    expect(human.join('\n')).not.toMatch(/params:/);
  });
});

/**
 * Packages a command loads, by a resolve hook registered before finrep starts (whether bin/finrep.js runs the
 * build or the sources through tsx, every import passes through it).
 */
function packagesLoaded(
  args: string[],
  env: Record<string, string>,
  dir: string,
): { code: number | null; packages: string[] } {
  const log = path.join(dir, 'modules.log');
  rmSync(log, { force: true });
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}\n`,
  );
  writeFileSync(
    path.join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${path.join(dir, 'hooks.mjs')}`)});\n`,
  );
  const r = spawnSync(process.execPath, ['--import', path.join(dir, 'register.mjs'), BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  const urls = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  const names = urls
    .map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1])
    .filter((n): n is string => !!n && n !== 'tsx' && n !== 'esbuild');
  return { code: r.status, packages: [...new Set(names)].sort() };
}

/** What no listing command needs: the browser, the workbook, the charts, React, the LLM SDK, BullMQ, jieba, SMTP. */
const HEAVY = [
  'playwright-core',
  'exceljs',
  'echarts',
  '@resvg/resvg-js',
  'react',
  'react-dom',
  '@react-email/render',
  'openai',
  'bullmq',
  'ioredis',
  '@node-rs/jieba',
  'nodemailer',
  'cheerio',
  'linkedom',
  'undici',
];

// Loading is the same on either database: checked once, on the PGlite pass. Times are measured by bench/startup.ts.
describe.skipIf(TEST_DB === 'postgres')('finrep loads only what the command uses', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-cli-modules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { FINREP_DATA_DIR: path.join(dir, 'data') };

  it.each(['--help', '--version', 'run --help', 'worker --help'])('finrep %s: commander only', (command) => {
    const r = packagesLoaded(command.split(' '), env, dir);
    expect(r.code).toBe(0);
    expect(r.packages).toEqual(['commander']);
  });

  it.each(['sources', 'recipients list', 'deliveries list --edition 2025-11-10'])(
    'finrep %s: configuration, logger, database — nothing heavy',
    { timeout: 120_000 },
    (command) => {
      const r = packagesLoaded(command.split(' '), env, dir);
      expect(r.packages).toEqual(expect.arrayContaining(['@electric-sql/pglite', 'drizzle-orm', 'zod']));
      expect(
        r.packages.filter((p) => HEAVY.includes(p) || p.startsWith('@react-email/') || p === 'pino-pretty'),
      ).toEqual([]);
    },
  );
});
