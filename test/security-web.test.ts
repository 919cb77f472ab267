/**
 * The security review's re-check of the web server (docs/security.md): session fixation, logout, the password
 * policy (on the password-change form and on `finrep user add|passwd`), CSRF tokens bound to their browser,
 * and the sign-in throttles per address and per account — on the real server over HTTP on 127.0.0.1 (and the
 * real CLI), adding only what test/web-auth.test.ts, test/web-api.test.ts and test/web-cli.test.ts do not
 * already prove.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { findUserByEmail } from '../src/db/queries/users.ts';
import { signUnsubscribe } from '../src/lib/tokens.ts';
import { currentTotp } from '../src/web/auth/totp.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, SECRET, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
/** Ten characters, thirty UTF-8 bytes: the minimum counts characters, not bytes. */
const TEN_CJK = '金融情报日报系统密码';

describe(`security re-check on the real server (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let ip = 10;
  /** A browser at its own address (X-Forwarded-For from the trusted proxy 127.0.0.1). */
  const browser = () => new Client(base, { 'x-forwarded-for': `198.51.100.${ip++}` });

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const [email, role] of [
      ['victim@example.com', 'admin'],
      ['attacker@example.com', 'viewer'],
      ['roamer@example.com', 'viewer'],
      ['policy@example.com', 'viewer'],
      ['guessed@example.com', 'viewer'],
      ['stolen@example.com', 'viewer'],
    ] as const)
      await addUser(database.db, email, role, PASSWORD);
    const config = webConfig({ WEB_TRUST_PROXY: '127.0.0.1', WEB_LOGIN_RATE_PER_MIN: '6' });
    ({ app, base } = await startTestServer(database.db, config));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  describe('sessions', () => {
    it('a session cookie planted before sign-in is replaced by a new one, never kept', async () => {
      const attacker = browser();
      expect((await attacker.signIn('attacker@example.com', PASSWORD)).status).toBe(303);
      const planted = attacker.cookies.get('finrep_session')!;

      // The victim's browser holds the attacker's valid session (a sibling subdomain or a shared machine set it).
      const victim = browser();
      const token = await victim.csrf('/login');
      victim.cookies.set('finrep_session', planted);
      const r = await victim.post('/login', {
        _csrf: token,
        email: 'victim@example.com',
        password: PASSWORD,
        next: '/',
      });
      expect(r.status).toBe(303);
      const issued = victim.cookies.get('finrep_session')!;
      expect(issued).not.toBe(planted);
      const home = await victim.get('/');
      expect(home.status).toBe(200);
      expect(home.text).toContain('victim@example.com');
      expect(home.text).not.toContain('attacker@example.com');

      // A made-up cookie is no session: ignored before sign-in, replaced by it.
      const forged = browser();
      const t2 = await forged.csrf('/login');
      forged.cookies.set('finrep_session', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwic3YiOjB9.forged');
      expect((await forged.get('/')).status).toBe(302);
      await forged.post('/login', { _csrf: t2, email: 'roamer@example.com', password: PASSWORD, next: '/' });
      expect(forged.cookies.get('finrep_session')).not.toMatch(/forged$/);
      expect((await forged.get('/')).text).toContain('roamer@example.com');
    });

    it('logout ends this session and every other session of the user; a new sign-in gets a fresh token', async () => {
      const laptop = browser();
      const phone = browser();
      await laptop.signIn('stolen@example.com', PASSWORD);
      await phone.signIn('stolen@example.com', PASSWORD);
      const before = { laptop: laptop.cookies.get('finrep_session')!, phone: phone.cookies.get('finrep_session')! };
      expect((await phone.get('/')).status).toBe(200);
      expect((await laptop.post('/logout', { _csrf: await laptop.csrf('/account') })).status).toBe(303);
      expect(laptop.cookies.has('finrep_session')).toBe(false);
      // The phone's cookie, and a copy of the laptop's, are refused now.
      expect((await phone.get('/')).status).toBe(302);
      const replay = browser();
      replay.cookies.set('finrep_session', before.laptop);
      expect((await replay.get('/account')).status).toBe(302);
      // Signing in again issues a token that differs from every revoked one.
      await laptop.signIn('stolen@example.com', PASSWORD);
      const again = laptop.cookies.get('finrep_session')!;
      expect([before.laptop, before.phone]).not.toContain(again);
      expect((await laptop.get('/')).status).toBe(200);
    });
  });

  describe('password policy on the password-change form', () => {
    it.each([
      { name: 'nine characters', password: 'abcdefghi', problem: 'at least 10 characters' },
      { name: 'nine CJK characters (27 bytes)', password: TEN_CJK.slice(1), problem: 'at least 10 characters' },
      { name: 'a leading space', password: ' a long passphrase', problem: 'no spaces at the start or end' },
      { name: 'a trailing space', password: 'a long passphrase ', problem: 'no spaces at the start or end' },
      { name: '1025 characters', password: 'x'.repeat(1025), problem: 'at most 1024 characters' },
    ])('refuses $name and keeps the old password', async ({ password, problem }) => {
      const c = browser();
      await c.signIn('policy@example.com', PASSWORD);
      const r = await c.post(
        '/account/password',
        { _csrf: await c.csrf('/account'), current: PASSWORD, password, confirm: password },
        { 'accept-language': 'en' },
      );
      expect(r.status).toBe(400);
      expect(r.text).toContain(problem);
      expect((await browser().signIn('policy@example.com', PASSWORD)).status).toBe(303);
    });

    it('refuses two different entries, then takes ten CJK characters; the old password stops working', async () => {
      const c = browser();
      await c.signIn('policy@example.com', PASSWORD);
      const token = await c.csrf('/account');
      const mismatch = await c.post('/account/password', {
        _csrf: token,
        current: PASSWORD,
        password: TEN_CJK,
        confirm: `${TEN_CJK}!`,
      });
      expect(mismatch.status).toBe(400);
      const ok = await c.post('/account/password', {
        _csrf: token,
        current: PASSWORD,
        password: TEN_CJK,
        confirm: TEN_CJK,
      });
      expect(ok.status).toBe(303);
      expect((await browser().signIn('policy@example.com', TEN_CJK)).status).toBe(303);
      expect((await browser().signIn('policy@example.com', PASSWORD)).status).toBe(401);
    });

    it('guessing the current password with a stolen session locks the account, as wrong sign-ins do', async () => {
      const thief = browser();
      await thief.signIn('guessed@example.com', PASSWORD);
      const token = await thief.csrf('/account');
      const guess = (current: string) =>
        thief.post('/account/password', {
          _csrf: token,
          current,
          password: 'the thief’s own',
          confirm: 'the thief’s own',
        });
      for (let i = 0; i < 5; i++) expect((await guess(`wrong guess ${i}`)).status).toBe(400);
      // Locked: even the right current password is refused for now, and so is signing in.
      const right = await guess(PASSWORD);
      expect(right.status).toBe(429);
      expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await browser().signIn('guessed@example.com', PASSWORD)).status).toBe(429);
      const user = await findUserByEmail(database.db, 'guessed@example.com');
      expect(user!.failedLogins).toBeGreaterThanOrEqual(5);
      expect(user!.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
    });
  });

  describe('CSRF', () => {
    it("a token from another browser's form is refused: the token is bound to its own cookie", async () => {
      const other = browser();
      const foreign = await other.csrf('/login');
      const admin = browser();
      await admin.signIn('victim@example.com', PASSWORD);
      const own = await admin.csrf('/account');
      expect(foreign).not.toBe(own);
      // A state change the admin may make, with someone else's token: 403, nothing changed.
      const r = await admin.post('/logout', { _csrf: foreign });
      expect(r.status).toBe(403);
      expect((await admin.get('/')).status).toBe(200);
    });

    it('a valid token without its cookie (a cross-site form cannot send it) is refused', async () => {
      const admin = browser();
      await admin.signIn('victim@example.com', PASSWORD);
      const token = await admin.csrf('/account');
      const secret = admin.cookies.get('finrep_csrf')!;
      admin.cookies.delete('finrep_csrf');
      expect((await admin.post('/logout', { _csrf: token })).status).toBe(403);
      admin.cookies.set('finrep_csrf', secret);
      expect((await admin.post('/logout', { _csrf: token })).status).toBe(303);
    });

    it('the CSRF cookie is HttpOnly and SameSite=Lax, like the session cookie', async () => {
      const c = browser();
      const page = await c.get('/login');
      const set = page.headers.getSetCookie().find((s) => s.startsWith('finrep_csrf='))!;
      expect(set).toMatch(/HttpOnly/i);
      expect(set).toMatch(/SameSite=Lax/i);
    });
  });

  describe('sign-in throttles', () => {
    it('per account, whatever the address: five failures from five addresses lock it for a sixth', async () => {
      for (let i = 0; i < 5; i++) {
        const c = browser();
        expect((await c.signIn('roamer@example.com', `wrong password ${i}`)).status).toBe(401);
      }
      const owner = browser();
      const r = await owner.signIn('roamer@example.com', PASSWORD);
      expect(r.status).toBe(429);
      expect(owner.cookies.has('finrep_session')).toBe(false);
    });

    it('per address, whatever the account: spraying one password over many accounts is throttled', async () => {
      const sprayer = browser();
      const token = await sprayer.csrf('/login');
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const email = i % 2 ? `nobody${i}@example.com` : `user${i}@example.com`;
        statuses.push((await sprayer.post('/login', { _csrf: token, email, password: 'Summer2025!!' })).status);
      }
      expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
      expect(statuses.slice(6)).toEqual([429, 429]);
    });

    it('second-factor codes are throttled per address and count towards the lockout', async () => {
      const { totpSecret } = await addUser(database.db, 'twofa@example.com', 'viewer', PASSWORD, { totp: true });
      const c = browser();
      const first = await c.signIn('twofa@example.com', PASSWORD);
      expect(first.location).toMatch(/^\/login\/2fa/);
      const token = await c.csrf(first.location!);
      const wrong = currentTotp(totpSecret!) === '000000' ? '111111' : '000000';
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await c.post('/login/2fa', { _csrf: token, code: wrong })).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(6)).toEqual([429, 429]);
      expect(c.cookies.has('finrep_session')).toBe(false);
      expect((await findUserByEmail(database.db, 'twofa@example.com'))!.failedLogins).toBeGreaterThanOrEqual(5);
    });

    it('one-click unsubscribe is throttled per address (30 a minute): no token guessing at speed', async () => {
      const c = browser();
      const statuses: number[] = [];
      const forged = signUnsubscribe(999_999, 'nobody@example.com', 'not-the-secret');
      for (let i = 0; i < 32; i++)
        statuses.push(
          (await c.post(`/unsubscribe?t=${encodeURIComponent(forged)}`, { 'List-Unsubscribe': 'One-Click' })).status,
        );
      expect(new Set(statuses.slice(0, 30))).toEqual(new Set([400]));
      expect(statuses.slice(30)).toEqual([429, 429]);
    });
  });
});

describe(`sign-in throttle without a trusted proxy (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    ({ app, base } = await startTestServer(database.db, webConfig({ WEB_LOGIN_RATE_PER_MIN: '4' })));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('a made-up X-Forwarded-For per request does not dodge the per-address limit', async () => {
    const c = new Client(base);
    const token = await c.csrf('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await c.post(
        '/login',
        { _csrf: token, email: 'nobody@example.com', password: 'guess guess guess' },
        { 'x-forwarded-for': `203.0.113.${100 + i}` },
      );
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });
});

describe(`password policy of finrep user add and passwd (${TEST_DB})`, () => {
  const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');
  let database: TestDatabase;
  let env: Record<string, string>;
  let work: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.close(); // the commands open it themselves (PGlite belongs to one process)
    work = mkdtempSync(path.join(tmpdir(), 'finrep-policy-'));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      FINREP_DATA_DIR: database.dataDir,
      LOG_LEVEL: 'warn',
      JWT_SECRET_KEY: SECRET,
      ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    };
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await database?.drop();
  });

  const finrep = (args: string[], input?: string) =>
    spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8', timeout: 120_000 });

  it.each([
    { name: 'nine CJK characters', password: TEN_CJK.slice(1), problem: 'at least 10 characters' },
    { name: 'a leading space', password: ' a long passphrase', problem: 'no spaces at the start or end' },
    { name: '1025 characters', password: 'y'.repeat(1025), problem: 'at most 1024 characters' },
  ])('user add refuses $name (stdin), with the reason and nothing created', ({ password, problem }) => {
    const r = finrep(['user', 'add', 'cli@example.com', '--role', 'admin'], `${password}\n`);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`finrep: error: password refused: ${problem}`);
    expect(r.stderr).not.toContain(password.trim());
  });

  it('user add takes ten CJK characters from a file; user passwd refuses a short one and keeps the hash', async () => {
    const file = path.join(work, 'pw');
    writeFileSync(file, `${TEN_CJK}\n`, { mode: 0o600 });
    const add = finrep(['user', 'add', 'cli@example.com', '--role', 'admin', '--password-file', file]);
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/^created admin cli@example\.com/);
    const short = finrep(['user', 'passwd', 'cli@example.com'], 'too short\n');
    expect(short.status).toBe(1);
    expect(short.stderr.trim()).toBe('finrep: error: password refused: at least 10 characters');

    const db = await openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    const { app, base } = await startTestServer(db.db, webConfig());
    try {
      expect((await new Client(base).signIn('cli@example.com', TEN_CJK)).status).toBe(303);
    } finally {
      await app.close();
      await db.close();
    }
  });
});
