/**
 * The commands an operator runs: `finrep user add` (password on stdin), `user list --json`, `finrep web`
 * answering /livez and letting that user sign in, `user disable` ending it — real processes, real database.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../src/db/queries/audit.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { freePort } from './helpers/private-servers.ts';
import { Client, SECRET, startTestServer, webConfig } from './helpers/web.ts';
import { currentTotp, totpStep } from '../src/web/auth/totp.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');
const PASSWORD = 'a long enough passphrase';

describe(`finrep user and finrep web (${TEST_DB})`, () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    // The commands open the database themselves (PGlite belongs to one process).
    await database.close();
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      FINREP_DATA_DIR: database.dataDir,
      LOG_LEVEL: 'warn',
      // The in-process server below opens what the commands sealed (TOTP secrets) with the same secret.
      JWT_SECRET_KEY: SECRET,
      ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    };
  });
  afterAll(async () => {
    await database?.drop();
  });

  const finrep = (args: string[], input?: string) =>
    spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8', timeout: 120_000 });

  it('adds the first admin from stdin, refuses a short password and a duplicate, lists as JSON', () => {
    const short = finrep(['user', 'add', 'boss@example.com', '--role', 'admin'], 'short\n');
    expect(short.status).toBe(1);
    expect(short.stderr.trim()).toBe('finrep: error: password refused: at least 10 characters');
    const add = finrep(['user', 'add', 'Boss@Example.com', '--role', 'admin'], `${PASSWORD}\n`);
    expect(add.stderr).toBe('');
    expect(add.stdout.trim()).toMatch(/^created admin boss@example\.com \(id \d+\)$/);
    expect(finrep(['user', 'add', 'boss@example.com'], `${PASSWORD}\n`).status).toBe(1);
    const list = finrep(['user', 'list', '--json']);
    const users = JSON.parse(list.stdout) as { email: string; role: string; disabled: boolean; totp: boolean }[];
    expect(users).toEqual([
      expect.objectContaining({ email: 'boss@example.com', role: 'admin', disabled: false, totp: false }),
    ]);
    expect(list.stdout).not.toContain('argon2');
  });

  /** `finrep user 2fa EMAIL`, answering its prompt with the current code of the key it prints. */
  const enrol = (email: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string; key: string; code: string }>((resolve) => {
      const p = spawn(process.execPath, [BIN, 'user', '2fa', email], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let key = '';
      let code = '';
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /^key: (\S+)$/m.exec(stdout);
        if (m && !key) {
          key = m[1]!;
          code = currentTotp(key);
          p.stdin.end(`${code}\n`);
        }
      });
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (status) => resolve({ status, stdout, stderr, key, code }));
    });

  it('user 2fa spends the confirming code: the same code cannot then sign in', async () => {
    expect(finrep(['user', 'add', 'two@example.com'], `${PASSWORD}\n`).status).toBe(0);
    const e = await enrol('two@example.com');
    expect(e.stderr).toBe('');
    expect(e.stdout).toContain('second factor of two@example.com on');
    const step = totpStep(e.key, e.code);
    expect(step).not.toBeNull();
    const { openDatabase } = await import('../src/db/client.ts');
    const { findUserByEmail } = await import('../src/db/queries/users.ts');
    const db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    const { app, base } = await startTestServer(db.db, webConfig());
    try {
      expect((await findUserByEmail(db.db, 'two@example.com'))!.totpLastStep).toBe(step);
      const c = new Client(base);
      const replay = await c.signIn('two@example.com', PASSWORD, () => e.code);
      expect(replay.status).toBe(401);
      expect(c.cookies.has('finrep_session')).toBe(false);
      const failures = (await listAudit(db.db)).filter(
        (r) => r.action === 'login.failure' && r.target === 'two@example.com',
      );
      expect(failures.map((r) => r.detail?.reason)).toEqual(['code already used']);
    } finally {
      await app.close();
      await db.close();
    }
  });

  it('finrep web answers /livez and lets the user sign in; disable ends it', async () => {
    const port = await freePort();
    const web = spawn(process.execPath, [BIN, 'web', '--host', '127.0.0.1', '--port', String(port)], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    web.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 600; i++) {
        const up = await fetch(`${base}/livez`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (web.exitCode !== null) throw new Error(stderr);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await (await fetch(`${base}/livez`)).json()).toEqual({ status: 'ok' });
      const c = new Client(base);
      expect((await c.signIn('boss@example.com', PASSWORD)).status).toBe(303);
      expect((await c.get('/')).text).toContain('boss@example.com');
      expect(stderr).not.toContain(PASSWORD);
    } finally {
      web.kill('SIGTERM');
      await new Promise((r) => web.once('exit', r));
    }
    const off = finrep(['user', 'disable', 'boss@example.com']);
    expect(off.stdout.trim()).toBe('boss@example.com disabled');
    expect(JSON.parse(finrep(['user', 'list', '--json']).stdout)[0].disabled).toBe(true);
  });

  it('audited every change as the CLI user, without the password', async () => {
    const { openDatabase } = await import('../src/db/client.ts');
    const db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      const rows = await listAudit(db.db);
      expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['user.add', 'login.success', 'user.disable']));
      expect(rows.find((r) => r.action === 'user.add')!.actor).toMatch(/^cli:/);
      expect(JSON.stringify(rows)).not.toContain(PASSWORD);
    } finally {
      await db.close();
    }
  });
});
