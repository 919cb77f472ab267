/**
 * The editorial gate survives a crash: the `finrep worker` process running an edition is killed with SIGKILL
 * while the edition waits as a draft (REPORT_REVIEW=true). After a new worker takes the job over, the draft is
 * still there with the edits an editor made before the kill; approving it sends it once per recipient, with
 * the edits. A second edition nobody approves goes out at its deadline after the same kill, once per recipient.
 * Real worker processes on PostgreSQL and Redis, as in jobs-kill.test.ts.
 */
import { simpleParser } from 'mailparser';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { editionsQ } from '../src/db/queries/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { loadReportModel } from '../src/report/stored-model.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';
import {
  demoWorldFor,
  FinrepProcs,
  finrepEnv,
  flushRedis,
  parseSummary,
  redisUrlFor,
  waitFor,
  waitForWorkers,
} from './helpers/workers.ts';
import type { FinrepProc } from './helpers/workers.ts';

const APPROVED = '2025-11-14';
const DEADLINE = '2025-11-15';
const REDIS_URL = redisUrlFor(13);
const EDITOR = 'editor@example.com';
const PW = 'correct horse battery staple';

// Worker processes share one database, which PGlite cannot: the PostgreSQL pass of `npm test` only.
describe.skipIf(TEST_DB !== 'postgres')(
  'a draft in review outlives a SIGKILL of its worker (PostgreSQL pass only: workers need a shared database)',
  () => {
    let t: TestDatabase | undefined;
    let world: DemoWorld | undefined;
    let world2: DemoWorld | undefined;
    let smtp: TestSmtp | undefined;
    let web: { app: FastifyInstance; base: string } | undefined;
    let procs: FinrepProcs | undefined;
    const query = async <T>(q: ReturnType<typeof sql>) => ((await t!.db.execute(q)) as unknown as { rows: T[] }).rows;

    beforeAll(async () => {
      t = await createTestDatabase();
      world = await demoWorldFor(APPROVED);
      smtp = await startTestSmtp();
      await seedFor(world);
      await addUser(t.db, EDITOR, 'admin', PW);
      web = await startTestServer(t.db, webConfig({ FINREP_DATA_DIR: t.dataDir, REPORT_REVIEW: 'true' }));
      await flushRedis(REDIS_URL);
    });
    afterAll(async () => {
      await procs?.stopAll();
      await flushRedis(REDIS_URL).catch(() => {});
      await web?.app.close();
      await smtp?.close();
      await world?.close();
      await world2?.close();
      await t?.drop();
    });

    const envFor = (deadline: string) =>
      finrepEnv({
        dataDir: t!.dataDir,
        databaseUrl: t!.databaseUrl!,
        redisUrl: REDIS_URL,
        smtpPort: smtp!.port,
        lockSec: 3,
        extra: { REPORT_REVIEW: 'true', REPORT_REVIEW_DEADLINE: deadline },
      });

    /** The edition of `date` once its draft waits for review. */
    async function inReview(date: string) {
      let e: Awaited<ReturnType<typeof editionsQ.findEditionByDate>> = null;
      await waitFor(
        async () => {
          e = await editionsQ.findEditionByDate(t!.db, date);
          return e?.status === 'review' && !e.approvedAt;
        },
        `edition ${date} in review`,
        300_000,
        250,
      );
      return e!;
    }

    /** The worker process that runs the edition now (the run's `worker` is host:pid). */
    async function orchestrator(): Promise<FinrepProc> {
      const [run] = await query<{ worker: string | null }>(sql`select worker from runs order by id desc limit 1`);
      const pid = Number(run?.worker?.split(':')[1]);
      const p = procs!.alive().find((x) => x.pid === pid);
      if (!p) throw new Error(`no live worker runs the edition (runs.worker ${run?.worker})`);
      return p;
    }

    /** Kills the edition's worker while the draft waits, starts another, and waits until it took the run over. */
    async function killDuringReview(date: string, env: Record<string, string>, name: string): Promise<void> {
      const victim = await orchestrator();
      await procs!.kill(victim);
      const next = procs!.start(name, ['worker'], env);
      await waitFor(
        async () =>
          (
            await query<{ worker: string | null }>(sql`select worker from runs order by id desc limit 1`)
          )[0]?.worker?.endsWith(`:${next.pid}`) === true,
        `${name} to take the run of ${date} over`,
        120_000,
      );
    }

    /** Points the demo sources at a world for `date` and leaves three feeds on. */
    async function seedFor(w: DemoWorld): Promise<void> {
      const keys = await seedDemo(t!.db, w);
      // Three feeds make a report to edit (the dynamic site would add Chromium to every worker).
      const off = keys.filter((k) => !/^demo:feed-(macro|markets|companies)$/.test(k));
      for (const k of off) await t!.db.execute(sql`update sources set enabled = false where key = ${k}`);
    }

    it('keeps the edited draft across the kill; approval sends it once per recipient, with the edits', async () => {
      onTestFailed(() => {
        for (const p of procs?.all ?? [])
          process.stderr.write(`--- ${p.role} (pid ${p.pid}) stderr tail:\n${p.output().stderr.slice(-1500)}\n`);
      });
      const env = envFor('60m');
      procs = new FinrepProcs(t!.dataDir);
      procs.start('worker-1', ['worker'], env);
      await waitForWorkers(REDIS_URL, 1, procs);
      const run = procs.start('run-approved', ['run', '--date', APPROVED, '--json'], env);
      const draft = await inReview(APPROVED);
      expect(smtp!.messages).toHaveLength(0);

      // An editor drops a story and rewrites a summary before the crash.
      const model = loadReportModel(draft.model!);
      const dropped = model.top[1]!;
      const edited = model.top[0]!;
      const newSummary = '崩溃之前编辑改写的摘要';
      const c = new Client(web!.base);
      await c.signIn(EDITOR, PW);
      const token = await c.csrf(`/reports/${APPROVED}/review`);
      const edit = (form: Record<string, string>) =>
        c.post(`/reports/${APPROVED}/review/edit`, { _csrf: token, ...form });
      expect((await edit({ op: 'drop', id: String(dropped.articleId) })).status).toBe(303);
      expect((await edit({ op: 'summary', id: String(edited.articleId), summary: newSummary })).status).toBe(303);

      await killDuringReview(APPROVED, env, 'worker-2');
      // The new worker finds the draft as it was: still in review, the edits kept, nothing sent.
      const after = await inReview(APPROVED);
      expect(after.id).toBe(draft.id);
      expect(after.reviewEdits).toMatchObject({
        dropped: [dropped.articleId],
        summaries: { [String(edited.articleId)]: newSummary },
      });
      expect(smtp!.messages).toHaveLength(0);
      const page = await c.get(`/reports/${APPROVED}/review`);
      expect(page.text).toContain(newSummary);

      expect((await c.post(`/reports/${APPROVED}/review/approve`, { _csrf: token })).status).toBe(303);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(parseSummary(result.stdout)).toMatchObject({ edition: APPROVED, deliver: { sent: 3, failed: 0 } });

      for (const r of world!.recipients) expect(smtp!.countFor(r.email), r.email).toBe(1);
      expect(smtp!.messages).toHaveLength(world!.recipients.length);
      for (const m of smtp!.messages) {
        const html = (await simpleParser(m.raw, { skipImageLinks: true })).html || '';
        expect(html).toContain(newSummary);
        expect(html).not.toContain(dropped.url.replaceAll('&', '&amp;'));
      }
      const rows = await query<{ email: string; status: string }>(
        sql`select dl.email, dl.status from delivery_log dl join editions e on e.id = dl.edition_id
            where e.date = ${APPROVED} order by dl.email`,
      );
      expect(rows).toEqual(
        world!.recipients.map((r) => ({ email: r.email, status: 'sent' })).sort((a, b) => (a.email < b.email ? -1 : 1)),
      );
      expect(await editionsQ.findEditionByDate(t!.db, APPROVED)).toMatchObject({
        status: 'delivered',
        approvedBy: `user:${EDITOR}`,
      });
    }, 600_000);

    it('a draft nobody approves goes out once per recipient at its deadline, after the same kill', async () => {
      await procs!.stopAll();
      smtp!.messages.length = 0;
      world2 = await demoWorldFor(DEADLINE);
      await seedFor(world2);
      const env = envFor('1m');
      procs = new FinrepProcs(t!.dataDir);
      procs.start('worker-3', ['worker'], env);
      await waitForWorkers(REDIS_URL, 1, procs);
      const run = procs.start('run-deadline', ['run', '--date', DEADLINE, '--json'], env);
      const draft = await inReview(DEADLINE);
      await killDuringReview(DEADLINE, env, 'worker-4');
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(parseSummary(result.stdout)).toMatchObject({ edition: DEADLINE, deliver: { sent: 3, failed: 0 } });
      for (const r of world!.recipients) expect(smtp!.countFor(r.email), r.email).toBe(1);
      expect(smtp!.messages).toHaveLength(world!.recipients.length);
      const e = await editionsQ.findEditionByDate(t!.db, DEADLINE);
      expect(e).toMatchObject({ id: draft.id, status: 'delivered', approvedBy: 'deadline' });
      // It went out at the deadline of the first worker's draft, not one restarted by the new worker.
      expect(e!.approvedAt!.getTime()).toBeGreaterThanOrEqual(draft.reviewDeadlineAt!.getTime());
      expect(e!.reviewDeadlineAt!.getTime()).toBe(draft.reviewDeadlineAt!.getTime());
    }, 600_000);
  },
);
