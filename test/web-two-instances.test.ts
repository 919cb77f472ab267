/**
 * Two `finrep web` processes on one PostgreSQL and one Redis behind nginx (docs/deploy.md, Scaling out;
 * nginx when installed): a session and a form token from one are good on the other, the sign-in rate limit
 * is one limit across both, one status sampler writes each slot, and the instance SIGKILLed in the middle of
 * a form POST (a recipients import, held inside its transaction by a row lock) leaves nothing of it behind —
 * nginx answers 502 without replaying it, and the same POST then applies once on the other instance.
 *
 * PostgreSQL only: PGlite belongs to one process, so two web processes cannot share it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../src/db/queries/audit.ts';
import { CLAIM_METRIC, countBySlot } from '../src/db/queries/status-samples.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { freePort } from './helpers/private-servers.ts';
import { addUser, Client, SECRET } from './helpers/web.ts';
import { HAS_NGINX, startNginx } from './helpers/nginx.ts';
import type { Nginx } from './helpers/nginx.ts';
import { FinrepProcs, flushRedis, redisUrlFor, waitFor } from './helpers/workers.ts';
import type { FinrepProc } from './helpers/workers.ts';

/** A Redis db of this file's own (deliver tests use 9, the worker tests 10–15, the benchmark 5). */
const REDIS_URL = redisUrlFor(7);
const PASSWORD = 'a long enough passphrase';
const LOGIN_RATE = 5;
const BULK = 1200;

/** A multipart POST with the client's cookies (the recipients import is a file form). */
async function upload(c: Client, path: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${c.base}${path}`, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

describe.skipIf(TEST_DB !== 'postgres')('two web instances on one database and Redis (postgres)', () => {
  let database: TestDatabase;
  let procs: FinrepProcs;
  let cwd: string;
  const web: { proc: FinrepProc; base: string; dataDir: string; name: string }[] = [];
  let nginx: Nginx | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    await flushRedis(REDIS_URL);
    await addUser(database.db, 'boss@example.com', 'admin', PASSWORD);
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-web2-'));
    procs = new FinrepProcs(cwd);
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const dataDir = mkdtempSync(path.join(tmpdir(), `finrep-web-${name}-`));
      const proc = procs.start(`web-${name}`, ['web', '--host', '127.0.0.1', '--port', String(port)], {
        FINREP_DATA_DIR: dataDir,
        // application_name tells the test which instance a database session belongs to.
        DATABASE_URL: `${database.databaseUrl!}?application_name=finrep-web-${name}`,
        REDIS_URL,
        JWT_SECRET_KEY: SECRET,
        WEB_LOGIN_RATE_PER_MIN: String(LOGIN_RATE),
        LOG_LEVEL: 'warn',
      });
      web.push({ proc, base: `http://127.0.0.1:${port}`, dataDir, name });
    }
    for (const w of web)
      await waitFor(
        async () => (await fetch(`${w.base}/livez`).catch(() => null))?.status === 200,
        `${w.proc.role} to answer /livez (${w.proc.output().stderr.slice(-300)})`,
        60_000,
      );
    if (HAS_NGINX) nginx = await startNginx(web.map((w) => w.base));
  });
  afterAll(async () => {
    await nginx?.stop();
    await procs?.stopAll(5000);
    for (const w of web) rmSync(w.dataDir, { recursive: true, force: true });
    if (cwd) rmSync(cwd, { recursive: true, force: true });
    await flushRedis(REDIS_URL).catch(() => {});
    await database?.drop();
  });

  /** A client of instance `i` carrying the cookies of `from`. */
  const on = (i: number, from?: Client) => {
    const c = new Client(web[i]!.base);
    for (const [k, v] of from?.cookies ?? []) c.cookies.set(k, v);
    return c;
  };
  let boss: Client;

  it('a session signed in on one instance is good on the other', async () => {
    boss = on(0);
    const signedIn = await boss.signIn('boss@example.com', PASSWORD);
    expect(signedIn.status).toBe(303);
    const other = on(1, boss);
    expect((await other.get('/recipients')).status).toBe(200);
    expect((await on(1).get('/recipients')).status).not.toBe(200);
    if (nginx) {
      // Round robin through nginx: requests alternate between the instances, every one signed in.
      const front = new Client(nginx.base);
      for (const [k, v] of boss.cookies) front.cookies.set(k, v);
      for (let i = 0; i < 4; i++) expect((await front.get('/recipients')).status).toBe(200);
    }
  });

  it('the sign-in rate limit is one limit across both instances', async () => {
    // One attempt so far (the sign-in above). Three more on each instance: 4 on a, 3 on b — under the limit
    // of 5 on either alone, over it together.
    const answers: { instance: number; status: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const instance = i % 2;
      const c = on(instance);
      const token = await c.csrf('/login');
      const r = await c.post('/login', { _csrf: token, email: 'nobody@example.com', password: 'wrong password!' });
      answers.push({ instance, status: r.status });
    }
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled.length, JSON.stringify(answers)).toBe(2);
    expect(answers.slice(0, 4).every((a) => a.status !== 429)).toBe(true);
  });

  it('one sampler writes each status slot, whichever instance claims it', { timeout: 90_000 }, async () => {
    // Both instances sampled at start-up; wait for the next 30 s slot boundary as well (a claim is written
    // before its slot's samples: wait for those too).
    const slots = async () => [
      await countBySlot(database.db, CLAIM_METRIC),
      await countBySlot(database.db, 'redis.used_memory_bytes'),
    ];
    await waitFor(
      async () => {
        const [claims, memory] = await slots();
        return claims!.length >= 2 && memory!.length === claims!.length;
      },
      'two sampled slots',
      70_000,
      500,
    );
    const claims = await countBySlot(database.db, CLAIM_METRIC);
    const memory = await countBySlot(database.db, 'redis.used_memory_bytes');
    expect(claims.every((c) => c.n === 1)).toBe(true);
    const pids = web.map((w) => String(w.proc.pid));
    for (const c of claims) expect(pids).toContain(c.instance?.split(':')[1]);
    expect(memory.map((m) => [m.at.getTime(), m.n])).toEqual(claims.map((c) => [c.at.getTime(), 1]));
    for (const w of web) expect(w.proc.output().stderr).not.toContain('sample not written');
  });

  it(`an instance killed in the middle of a form POST leaves nothing of it; the other applies it once (${HAS_NGINX ? 'through nginx' : 'no nginx: direct'})`, async () => {
    const emails = Array.from({ length: BULK }, (_, i) => `r${String(i).padStart(4, '0')}@bulk.example.com`);
    const csv = ['email,name,groups', ...emails.map((e, i) => `${e},收件人${i},批量`)].join('\n') + '\n';
    const fields = { name: 'bulk.csv', csv: Buffer.from(csv).toString('base64') };
    const admin = new pg.Client({ connectionString: database.databaseUrl! });
    await admin.connect();
    const count = async () =>
      Number(
        (await admin.query("select count(*) from recipients where email like '%@bulk.example.com'")).rows[0].count,
      );
    const importing = async () =>
      (
        await admin.query(
          `select pid, wait_event_type, application_name from pg_stat_activity
            where pid <> pg_backend_pid() and query ilike 'insert into "recipients"%' and state <> 'idle'`,
        )
      ).rows as { pid: number; wait_event_type: string | null; application_name: string }[];
    try {
      // A row of the second chunk of 500, held by an open transaction: the import writes its first chunk,
      // then waits on this row's lock, inside its own transaction.
      const blocker = new pg.Client({ connectionString: database.databaseUrl! });
      await blocker.connect();
      await blocker.query('begin');
      await blocker.query('insert into recipients (email) values ($1)', [emails[900]]);

      // Through nginx when it is installed (round robin: either instance may take the POST), else to a.
      const front = nginx ? new Client(nginx.base) : on(0);
      for (const [k, v] of boss.cookies) front.cookies.set(k, v);
      const token = await front.csrf('/recipients/import');
      const post = upload(front, '/recipients/import/apply', { _csrf: token, ...fields }).catch((err: Error) => err);
      let holder = '';
      await waitFor(async () => {
        holder = (await importing()).find((r) => r.wait_event_type === 'Lock')?.application_name ?? '';
        return holder !== '';
      }, 'the import to wait');
      const victim = web.find((w) => holder === `finrep-web-${w.name}`)!;
      const survivor = web.find((w) => w !== victim)!;

      await procs.kill(victim.proc);
      // nginx answers 502 and does not replay the POST on the other instance (proxy_next_upstream's default);
      // without nginx the connection just drops.
      const answer = await post;
      if (nginx) expect(answer).toMatchObject({ status: 502 });
      else expect(answer).toBeInstanceOf(Error);
      await blocker.query('rollback');
      await blocker.end();
      // The dead instance's backend finishes its statement, finds no client, and rolls back.
      await waitFor(async () => (await importing()).length === 0, 'the orphaned import to end', 30_000);
      expect(await count()).toBe(0);
      expect(await listAudit(database.db, { action: 'recipient.import' })).toEqual([]);

      // The same form again (session and token from the dead instance): the other instance applies it once.
      const again = nginx ? front : on(web.indexOf(survivor), boss);
      const done = await upload(again, '/recipients/import/apply', { _csrf: token, ...fields });
      expect(done.status, done.text.slice(0, 300)).toBe(303);
      expect(done.location).toBe(`/recipients?done=imported&created=${BULK}&updated=0`);
      expect(await count()).toBe(BULK);
      expect(await listAudit(database.db, { action: 'recipient.import' })).toHaveLength(1);
    } finally {
      await admin.end();
    }
  });
});
