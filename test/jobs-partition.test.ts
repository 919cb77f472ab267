/**
 * Two worker "hosts" on one PostgreSQL and Redis: worker b runs in a network namespace of its own, joined by
 * a veth pair (test/helpers/netns.ts). Mid-edition, while b holds jobs, its link is cut — b lives on, cut
 * off, as a host behind a dead switch port. Worker a takes b's jobs over when their locks lapse and the edition
 * completes once. The link is then healed, so whatever b had in flight reaches PostgreSQL, Redis and the
 * SMTP server late: the edition's record must not change (no duplicate article, report item or mail).
 *
 * PostgreSQL pass only (workers share the database) and root only (namespaces need CAP_NET_ADMIN).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { openDatabase } from '../src/db/client.ts';
import type { Db } from '../src/db/client.ts';
import { recipientsQ } from '../src/db/queries/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import { parseWorkerHeartbeat } from '../src/ops/heartbeats.ts';
import { QUEUES } from '../src/pipeline/queue.ts';
import type { RunSummary } from '../src/pipeline/summary.ts';
import { TEST_DB } from './helpers/db.ts';
import { HAS_PG15, privatePostgres } from './helpers/private-servers.ts';
import type { PrivatePostgres } from './helpers/private-servers.ts';
import { testRecipients } from './helpers/delivery.ts';
import { netnsProblem, startNetns } from './helpers/netns.ts';
import type { Netns } from './helpers/netns.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import {
  demoWorldFor,
  editionRecord,
  FinrepProcs,
  finrepEnv,
  flushRedis,
  parseSummary,
  redisUrlFor,
  runRecords,
  sleep,
  waitFor,
  waitForWorkers,
} from './helpers/workers.ts';

const DATE = '2025-11-14';
/** A Redis db of this file's own (deliver tests use 9, the other worker tests 10–15, two-web 7). */
const REDIS_URL = redisUrlFor(6);
const RECIPIENTS = 12;
const NETNS =
  TEST_DB !== 'postgres' ? 'PostgreSQL pass only' : !HAS_PG15 ? 'no PostgreSQL 15 binaries' : netnsProblem();

describe.skipIf(NETNS !== null)(
  `two worker hosts, one cut off the network mid-edition (${NETNS ?? 'network namespace + veth'})`,
  () => {
    let pg: PrivatePostgres | undefined;
    let db: Db;
    let closeDb: (() => Promise<void>) | undefined;
    let dataDir: string | undefined;
    let world: DemoWorld | undefined;
    let smtp: TestSmtp | undefined;
    let fake: FakeLlmServer | undefined;
    let procs: FinrepProcs | undefined;
    let ns: Netns | undefined;

    beforeAll(async () => {
      world = await demoWorldFor(DATE);
      smtp = await startTestSmtp();
      // The fake LLM's latency stretches extraction, so that the cut falls inside it.
      fake = await startFakeLlm({ style: 'deepseek', latencyMs: 300 });
      await flushRedis(REDIS_URL);
      // Redis, the sources, SMTP and the LLM through relays; PostgreSQL (a private one listening on the veth
      // too) directly, so that the server sees b's own TCP connections die as it would across hosts.
      const redisPort = Number(new URL(REDIS_URL).port || 6379);
      ns = await startNetns([redisPort, world.port, smtp.port, Number(new URL(fake.url).port)]);
      pg = await privatePostgres({ listen: [ns.hostIp] });
      const databaseUrl = await pg.createDatabase('finrep_partition');
      dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-partition-'));
      const database = await openDatabase({ databaseUrl, dataDir });
      db = database.db;
      closeDb = database.close;
      await seedDemo(db, world);
      await recipientsQ.upsertRecipients(db, testRecipients(RECIPIENTS - 3));
    });
    afterAll(async () => {
      ns?.heal();
      await procs?.stopAll(5000);
      await ns?.close();
      await flushRedis(REDIS_URL).catch(() => {});
      await fake?.close();
      await smtp?.close();
      await world?.close();
      await closeDb?.();
      await pg?.destroy();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('the cut-off worker’s jobs are taken over and the edition completes once; healing changes nothing', async () => {
      const log: string[] = [];
      onTestFailed(() => {
        process.stderr.write(`jobs-partition:\n  ${log.join('\n  ')}\n`);
        for (const p of procs?.all ?? [])
          process.stderr.write(`--- ${p.role} (pid ${p.pid}) stderr tail:\n${p.output().stderr.slice(-1500)}\n`);
      });
      const env = finrepEnv({
        dataDir: dataDir!,
        databaseUrl: pg!.url('finrep_partition'),
        redisUrl: REDIS_URL,
        smtpPort: smtp!.port,
        mailRate: 4,
        lockSec: 3,
        extra: {
          LLM_PROVIDERS: 'deepseek',
          PROVIDER_DEEPSEEK_API_KEY: 'sk-test-partition',
          PROVIDER_DEEPSEEK_BASE_URL: fake!.url,
          LLM_CONCURRENCY: '4',
        },
      });
      procs = new FinrepProcs(dataDir!);
      // Host a's first worker serves every queue but dedup, so that b runs the dedups and the cut can fall in
      // one; its second (every queue) starts at the cut.
      const allBut = QUEUES.filter((q) => q !== 'dedup').join(',');
      procs.start('worker-a1', ['worker', '--queues', allBut], env);
      const bUrl = new URL(pg!.url('finrep_partition'));
      bUrl.hostname = ns!.hostIp;
      const b = procs.start('worker-b', ['worker'], { ...env, DATABASE_URL: bUrl.toString() }, ns!.wrap);
      await waitForWorkers(REDIS_URL, 2, procs);

      const t0 = Date.now();
      const run = procs.start('run', ['run', '--date', DATE, '--json'], env);
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
      const bActive = async () => {
        const key = `finrep:heartbeat:worker:${hostname()}:${b.pid}`;
        return parseWorkerHeartbeat(key, await redis.get(key)).activeJobs ?? 0;
      };
      /** b's backend holds dedup's session advisory lock (727003): the lock a dead session would keep. */
      const bHoldsDedup = async () =>
        (
          (await db.execute(
            sql`select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
                where l.locktype = 'advisory' and l.objid = 727003 and l.granted and a.client_addr = ${ns!.hostIp.replace(/1$/, '2')}::inet`,
          )) as unknown as { rows: unknown[] }
        ).rows.length > 0;
      try {
        // The cut: best while b runs a dedup (holding its lock); else once extraction is well under way and b
        // holds jobs.
        let why = '';
        await waitFor(
          async () => {
            if (run.exited) return true;
            if (await bHoldsDedup()) why = 'running dedup (holding its advisory lock)';
            else if (fake!.requests.length >= 15 && (await bActive()) > 0) why = 'extracting';
            return why !== '';
          },
          'b busy',
          240_000,
          50,
        );
        expect(run.exited, 'the edition ended before the cut').toBe(false);
        const held = await bActive();
        ns!.cut();
        procs.start('worker-a2', ['worker'], env);
        log.push(
          `${((Date.now() - t0) / 1000).toFixed(1)} s: cut worker-b off ${why} (its last heartbeat: ${held} active job(s))`,
        );
      } finally {
        redis.disconnect();
      }

      const result = await run.done;
      log.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: edition over (exit ${result.code})`);
      expect(result.code, result.stderr).toBe(0);
      expect(b.exited, 'worker-b stays alive behind the cut').toBe(false);

      // The edition completed, on one run record, nothing duplicated, nothing lost.
      const summary = parseSummary(result.stdout) as unknown as RunSummary;
      expect(summary).toMatchObject({ edition: DATE, queue: 'bullmq' });
      expect(['ok', 'partial']).toContain(summary.status);
      const { runs } = await runRecords(db);
      expect(runs).toEqual([
        { id: summary.run_id, status: summary.status, finished: true, error: null, trigger: 'cli' },
      ]);
      const record = await editionRecord(db, DATE);
      expect(record.articles.length).toBeGreaterThanOrEqual(150);
      expect(record.duplicates).toEqual({ canonical: 0, source_url: 0, items: 0 });
      expect(record.items.length).toBe(summary.report.items);
      expect(record.deliveries.map((d) => d.email)).toEqual(record.recipients);
      expect(record.recipients).toHaveLength(RECIPIENTS);
      const mails = () => smtp!.messages.map((m) => m.envelope.to[0]);
      expect(mails().length).toBe(new Set(mails()).size);
      for (const d of record.deliveries)
        if (d.status === 'sent') expect(smtp!.countFor(d.email), d.email).toBe(1);
        else expect(['uncertain', 'failed'], d.email).toContain(d.status);

      // Heal: b's stale work in flight arrives late. b is then stopped; the record is as it was.
      ns!.heal();
      await sleep(8000);
      await procs.stop(b, 10_000);
      log.push(`${((Date.now() - t0) / 1000).toFixed(1)} s: healed, worker-b stopped`);
      const after = await editionRecord(db, DATE);
      expect(after.duplicates).toEqual({ canonical: 0, source_url: 0, items: 0 });
      expect(after.articles).toEqual(record.articles);
      expect(after.items).toEqual(record.items);
      expect(after.deliveries.map((d) => [d.email, d.status])).toEqual(
        record.deliveries.map((d) => [d.email, d.status]),
      );
      expect(mails().length).toBe(new Set(mails()).size);
      expect((await runRecords(db)).runs).toEqual(runs);
      // a found b's jobs stalled (their locks lapsed behind the cut) and ran them.
      const a = procs.all
        .filter((p) => p.role.startsWith('worker-a'))
        .map((p) => p.output().stderr)
        .join('\n');
      expect(a).toContain('job taken over from a worker that stopped answering');
      const count = (text: string, what: string) => text.split(what).length - 1;
      log.push(
        `worker-a took over ${count(a, 'job taken over')} job(s); ` +
          `worker-b's late moves refused by BullMQ (missing lock): ${count(b.output().stderr, 'Missing lock')}`,
      );
      process.stderr.write(`jobs-partition: ${log.join('; ')}\n`);
    }, 300_000);
  },
);
