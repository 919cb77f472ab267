/**
 * `npm run bench:mail`: N recipients sent at MAIL_RATE_LIMIT_PER_SEC by W real `finrep deliver` worker
 * processes sharing one Redis limiter and one PostgreSQL database, to a real SMTP server on 127.0.0.1.
 * Measures the achieved rate as the SMTP server saw it (target: within ±5 %) and checks exactly-once
 * delivery and the delivery log. Writes `bench/results/mail.json` and the block in `docs/delivery.md`.
 *
 * Needs PostgreSQL (FINREP_BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) and Redis
 * (FINREP_BENCH_REDIS_URL, default redis://127.0.0.1:6379/9). BENCH_MAIL_N, BENCH_MAIL_RATE and
 * BENCH_MAIL_WORKERS change the workload (default 200, 20, 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { deliveriesQ } from '../src/db/queries/index.ts';
import { RATE_LIMIT_KEY } from '../src/deliver/rate-limit.ts';
import { deliverEnv, seedStoredEdition, startFinrep } from '../test/helpers/delivery.ts';
import { startTestSmtp } from '../test/helpers/smtp.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { writeResult } from './lib/results.ts';

const N = Number(process.env.BENCH_MAIL_N ?? 200);
const RATE = Number(process.env.BENCH_MAIL_RATE ?? 20);
const WORKERS = Number(process.env.BENCH_MAIL_WORKERS ?? 2);
const ADMIN_URL = process.env.FINREP_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FINREP_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
const DATE = '2026-04-01';
const TOLERANCE = 0.05;

const dbName = `finrep_bench_mail_${process.pid}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${dbName}`);
const u = new URL(ADMIN_URL);
u.pathname = `/${dbName}`;
const databaseUrl = u.toString();
const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-mail-'));
const smtp = await startTestSmtp();

try {
  const database = await openDatabase({ databaseUrl, dataDir });
  const { emails } = await seedStoredEdition(database.db, dataDir, { date: DATE, recipients: N });
  await database.close();
  const redis = new Redis(REDIS_URL);
  await redis.del(RATE_LIMIT_KEY);
  await redis.quit();

  process.stderr.write(`bench:mail — ${N} recipients, ${RATE}/s, ${WORKERS} workers (PostgreSQL + Redis)\n`);
  const env = deliverEnv({ dataDir, databaseUrl, smtpPort: smtp.port, rate: RATE, redisUrl: REDIS_URL });
  const runs = await Promise.all(
    Array.from({ length: WORKERS }, () => startFinrep(['deliver', '--edition', DATE, '--json'], env, dataDir).done),
  );
  for (const r of runs) if (r.code !== 0) throw new Error(`a worker failed (${r.code}): ${r.stderr}`);
  const summaries = runs.map((r) => JSON.parse(r.stdout) as { sent: number; failed: number; error: string | null });

  const at = smtp.messages.map((m) => m.at).sort((a, b) => a - b);
  const spanS = (at.at(-1)! - at[0]!) / 1000;
  const achieved = (at.length - 1) / spanS;
  const maxInOneSecond = Math.max(...at.map((a) => at.filter((b) => b >= a && b < a + 1000).length));
  const perRecipient = emails.map((e) => smtp.countFor(e));

  const check = await openDatabase({ databaseUrl, dataDir });
  const rows = await deliveriesQ.listDeliveries(check.db, (await deliveriesQ.findEditionByDate(check.db, DATE))!.id);
  await check.close();
  const received = new Map(smtp.messages.map((m) => [m.envelope.to[0], m.messageId]));
  const logComplete =
    rows.length === N &&
    rows.every((r) => r.status === 'sent' && r.messageId === received.get(r.email) && r.sentAt !== null);

  const deviation = achieved / RATE - 1;
  const result = {
    recipients: N,
    workers: WORKERS,
    rate_limit_per_sec: RATE,
    achieved_per_sec: Math.round(achieved * 100) / 100,
    deviation_pct: Math.round(deviation * 1000) / 10,
    span_s: Math.round(spanS * 100) / 100,
    max_in_one_second: maxInOneSecond,
    sent_per_worker: summaries.map((s) => s.sent),
    messages_received: smtp.messages.length,
    duplicates: perRecipient.filter((n) => n > 1).length,
    missing: perRecipient.filter((n) => n === 0).length,
    log_complete: logComplete,
    within_tolerance: Math.abs(deviation) <= TOLERANCE,
    tolerance_pct: TOLERANCE * 100,
  };
  const file = writeResult('mail', result);
  updateDocBlock(
    path.resolve(import.meta.dirname, '../docs/delivery.md'),
    'mail',
    [
      `| recipients | workers | limit | achieved | deviation | max in 1 s | duplicates | missing | log complete |`,
      `|---|---|---|---|---|---|---|---|---|`,
      `| ${N} | ${WORKERS} (${result.sent_per_worker.join(' + ')}) | ${RATE}/s | ${result.achieved_per_sec}/s | ${result.deviation_pct} % | ${maxInOneSecond} | ${result.duplicates} | ${result.missing} | ${logComplete ? 'yes' : 'no'} |`,
      '',
      `\`npm run bench:mail\`, ${new Date().toISOString().slice(0, 10)}, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)} — \`bench/results/mail.json\``,
    ].join('\n'),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stderr.write(`→ ${file}\n`);
  if (!result.within_tolerance || result.duplicates > 0 || result.missing > 0 || !logComplete) process.exitCode = 1;
} finally {
  await smtp.close();
  rmSync(dataDir, { recursive: true, force: true });
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
