import type { Db } from '../db/client.ts';
import { deliveriesQ, recipientsQ } from '../db/queries/index.ts';
import type { AttemptEnd, LeasedDelivery } from '../db/queries/deliveries.ts';
import type { Logger } from '../log.ts';
import { metrics } from '../ops/metrics.ts';
import { ownerIsGone, PROCESS_OWNER } from './lease.ts';
import { MailError } from './mailer.ts';
import type { Mailer, MailMessage, SendResult } from './mailer.ts';
import { unsubscribeUrlFor, webViewUrlFor } from './links.ts';
import { buildMessage } from './message.ts';
import { createRateLimiter, defaultConcurrency } from './rate-limit.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { EditionMail } from './render.ts';

export type { EditionMail } from './render.ts';
export { defaultConcurrency } from './rate-limit.ts';

/** What the deliver stage did, in the run summary's shape (DESIGN §6). */
export interface DeliverSummary {
  /** Enabled, subscribed recipients targeted (all, or those of the chosen groups). */
  recipients: number;
  /** Sent by this run (this process). */
  sent: number;
  /** Failed for good in this run: a permanent (5xx) refusal, a malformed address, or out of attempts. */
  failed: number;
  /** Targeted recipients not sent to because their row was already sent, uncertain or failed. */
  skipped: number;
  /** The edition's rows whose outcome is unknown (never re-sent automatically; see `finrep deliveries`). */
  uncertain: number;
  /** The edition's rows still waiting (queued, or retrying later) when the run ended. */
  retrying: number;
  /** Set when sending stopped early: the transport kept failing, or refused us (login, sender). */
  error: string | null;
}

/** What the deliver stage needs; everything but `db`, `log`, `mailer` and the sender has a default. */
export interface DeliverDeps {
  db: Db;
  log: Logger;
  mailer: Mailer;
  from: { address: string; name: string };
  /** `MAIL_RATE_LIMIT_PER_SEC`: global when `redisUrl` is set, per process otherwise; the outbox is not throttled. */
  ratePerSec: number;
  /** `MAIL_MAX_ATTEMPTS`: attempts per recipient for transient failures. */
  maxAttempts: number;
  /** Shares the rate limit with every worker on this Redis (`REDIS_URL`). @defaultValue null (in-process) */
  redisUrl?: string | null;
  /** A limiter to use instead of creating one (it is not closed here). */
  rateLimiter?: RateLimiter;
  /** Pause sending after this many consecutive transport-level failures. @defaultValue 5 */
  maxConsecutiveFailures?: number;
  /**
   * The first pause once the transport keeps failing (the relay is down); each next pause doubles, up to
   * 2 min. Sending resumes after each. @defaultValue 10000
   */
  transportPauseMs?: number;
  /** Pauses in all before sending stops for this run (0: stop at the first streak). @defaultValue 600000 */
  transportPatienceMs?: number;
  /** Messages in flight at once (SMTP connections). @defaultValue {@link defaultConcurrency}(ratePerSec) */
  concurrency?: number;
  /** Secret that signs unsubscribe links. */
  secret: string;
  publicBaseUrl: string;
  /** Days a recipient's 在线查看 link opens the edition without signing in. @defaultValue WEB_VIEW_LINK_DAYS (30) */
  webViewLinkDays?: number;
  /** Mailbox for unsubscribe requests, added to List-Unsubscribe. @defaultValue none */
  unsubscribeMailto?: string | null;
  /** First retry delay; doubles per attempt, ±20 % jitter. @defaultValue 2000 */
  retryBaseMs?: number;
  /** Longest retry delay. @defaultValue 300000 */
  retryMaxMs?: number;
  /** How long a row stays ours without a heartbeat. @defaultValue 60000 */
  leaseMs?: number;
  /** This worker's lease owner id. @defaultValue {@link PROCESS_OWNER} (one per process) */
  owner?: string;
  sleep?: (ms: number) => Promise<void>;
}

/** Which recipients an edition goes to. */
export interface DeliverOptions {
  /** Only recipients in at least one of these groups (`finrep run --groups 研究部,投资部`). @defaultValue everyone */
  groups?: readonly string[] | null;
}

export { unsubscribeUrlFor } from './links.ts';

interface Run {
  deps: DeliverDeps;
  mail: EditionMail;
  owner: string;
  groups: readonly string[] | null;
  limiter: RateLimiter | null;
  log: Logger;
  summary: DeliverSummary;
  consecutive: number;
  stop: boolean;
  /** While the transport is paused: resolves when sending may resume. */
  pause: Promise<void> | null;
  pauses: number;
  pausedMs: number;
  leaseMs: number;
  sleep: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends the edition to every targeted recipient whose row is not sent, uncertain or failed. Several
 * workers (processes, machines) may run it at once for the same edition: each leases rows one by one,
 * marks a row `sending` (with its Message-ID) before the SMTP transaction and records the outcome after
 * it. A row left in `sending` by a worker that is gone becomes `uncertain` and is never re-sent
 * automatically; retries (4xx, network) come back after an exponential backoff within the run.
 *
 * @example
 * const summary = await runDeliver({ db, log, mailer, from, ratePerSec: 20, maxAttempts: 5, secret, publicBaseUrl, redisUrl },
 *   { editionId, edition: '2025-11-10', subject, render: renderFromModel(model), xlsx, xlsxName }, { groups: ['研究部'] });
 */
export async function runDeliver(
  deps: DeliverDeps,
  mail: EditionMail,
  opts: DeliverOptions = {},
): Promise<DeliverSummary> {
  const { db } = deps;
  const groups = opts.groups?.map((g) => g.trim()).filter(Boolean) ?? [];
  const owner = deps.owner ?? PROCESS_OWNER;
  const log = deps.log.child({ edition: mail.edition, worker: owner });
  const recipients = await recipientsQ.listActiveRecipients(db, { groups });
  await deliveriesQ.queueDeliveries(
    db,
    mail.editionId,
    recipients.map((r) => ({ recipientId: r.id, email: r.email })),
  );
  const before = await deliveriesQ.deliveryCounts(db, mail.editionId, groups, { activeOnly: true });
  const smtp = deps.mailer.kind === 'smtp';
  const limiter =
    deps.rateLimiter ??
    (smtp ? createRateLimiter({ ratePerSec: deps.ratePerSec, redisUrl: deps.redisUrl ?? null, log }) : null);
  const run: Run = {
    deps,
    mail,
    owner,
    groups: groups.length > 0 ? groups : null,
    limiter,
    log,
    consecutive: 0,
    stop: false,
    pause: null,
    pauses: 0,
    pausedMs: 0,
    leaseMs: deps.leaseMs ?? 60_000,
    sleep: deps.sleep ?? defaultSleep,
    summary: {
      recipients: recipients.length,
      sent: 0,
      failed: 0,
      skipped: before.sent + before.uncertain + before.failed,
      uncertain: 0,
      retrying: 0,
      error: null,
    },
  };
  log.info({ recipients: recipients.length, groups, limiter: limiter?.kind ?? 'none' }, 'delivery started');

  const heartbeat = setInterval(() => {
    deliveriesQ
      .renewLeases(db, owner, run.leaseMs)
      .catch((err: unknown) => log.warn({ err }, 'lease heartbeat failed'));
  }, run.leaseMs / 3);
  heartbeat.unref();
  try {
    // Rows this process leased in an earlier run that ended without giving them back (its database went
    // away mid-run): nobody else takes them while this process lives, and its own lookups skip leased rows.
    await deliveriesQ.releaseLeases(db, owner, mail.editionId);
    await recoverAbandoned(run);
    const workers = smtp ? Math.max(1, deps.concurrency ?? defaultConcurrency(deps.ratePerSec)) : 1;
    const results = await Promise.allSettled(Array.from({ length: workers }, () => worker(run)));
    const crashed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (crashed) throw crashed.reason;
  } finally {
    clearInterval(heartbeat);
    await deliveriesQ
      .releaseLeases(db, owner, mail.editionId)
      .catch((err: unknown) => log.warn({ err }, 'releasing leases failed'));
    if (!deps.rateLimiter) await limiter?.close();
  }
  const after = await deliveriesQ.deliveryCounts(db, mail.editionId, groups, { activeOnly: true });
  run.summary.uncertain = after.uncertain;
  run.summary.retrying = after.queued + after.retrying;
  log.info({ ...run.summary }, 'delivery finished');
  return run.summary;
}

/** One sending loop; a process runs `concurrency` of them. */
async function worker(run: Run): Promise<void> {
  const { db } = run.deps;
  const where = { editionId: run.mail.editionId, owner: run.owner, groups: run.groups };
  try {
    while (!run.stop) {
      if (run.pause) {
        await run.pause;
        continue;
      }
      const row = await deliveriesQ.leaseNextDelivery(db, { ...where, leaseMs: run.leaseMs });
      if (row) {
        await deliverOne(run, row);
        continue;
      }
      const state = await deliveriesQ.pendingState(db, where);
      if (state.ready > 0)
        await run.sleep(5); // lost a race for the row: take the next one
      else if (state.nextDueMs !== null) await run.sleep(Math.min(Math.max(state.nextDueMs, 10), 1000));
      else if (state.leasedElsewhere > 0) {
        // Other workers hold the rest; if one of them dies, its rows come back to us.
        await run.sleep(500);
        await recoverAbandoned(run);
      } else return;
    }
  } catch (err) {
    run.stop = true;
    throw err;
  }
}

async function deliverOne(run: Run, row: LeasedDelivery): Promise<void> {
  const { deps, log } = run;
  const { db } = deps;
  // The send slot is reserved first, so that rendering the message overlaps the wait for it.
  const slot = run.limiter
    ? run.limiter.acquire().then(
        () => null,
        (err: unknown) => err as MailError,
      )
    : Promise.resolve(null);
  let msg: MailMessage;
  try {
    msg = await compose(run, row);
  } catch (err) {
    // A message that cannot be built (a malformed address) fails this recipient only.
    await slot;
    if (await deliveriesQ.failUnsent(db, row.id, run.owner, (err as Error).message)) {
      run.summary.failed++;
      metrics.mail('failed');
    }
    log.warn({ delivery_id: row.id, to: row.email, err }, 'message could not be built');
    return;
  }
  const limiterError = await slot;
  if (limiterError) {
    await deliveriesQ.releaseLease(db, row.id, run.owner);
    transportFailure(run, limiterError);
    return;
  }
  if (run.stop) return void (await deliveriesQ.releaseLease(db, row.id, run.owner));
  const attempt = await deliveriesQ.startSending(db, {
    id: row.id,
    owner: run.owner,
    messageId: msg.messageId,
    transport: deps.mailer.kind,
    leaseMs: run.leaseMs,
  });
  if (attempt === null) return; // the lease was lost: another worker has the row now
  let res: SendResult;
  try {
    res = await deps.mailer.send(msg);
  } catch (err) {
    const e =
      err instanceof MailError
        ? err
        : new MailError((err as Error).message, { code: 'EUNKNOWN', permanent: false, scope: 'mailer', cause: err });
    const end = outcome(run, e, attempt);
    await deliveriesQ.finishAttempt(db, row.id, msg.messageId, end);
    metrics.mail(end.status);
    if (end.status === 'failed') run.summary.failed++;
    log.warn(
      { delivery_id: row.id, to: row.email, message_id: msg.messageId, attempt, status: end.status, err: e.toJSON() },
      end.status === 'retrying'
        ? 'mail will be retried'
        : end.status === 'uncertain'
          ? 'mail outcome unknown; not retried'
          : 'mail failed',
    );
    if (e.scope === 'mailer') transportFailure(run, e);
    else run.consecutive = 0;
    return;
  }
  // Sent: only the record is left. A database error now is no failed send (the row would be retried and
  // the message sent twice), so the outcome, which is known, waits for the database to answer again.
  if (!(await recordSent(run, row.id, msg.messageId, res.response))) {
    log.warn(
      { delivery_id: row.id, to: row.email, message_id: msg.messageId },
      'sent, but the row was re-queued meanwhile; the outcome was not recorded',
    );
  }
  run.summary.sent++;
  metrics.mail('sent');
  run.consecutive = 0;
  log.info({ delivery_id: row.id, to: row.email, message_id: msg.messageId, attempt }, 'mail sent');
}

/**
 * Records a message the server accepted, retrying while the database does not answer (it restarts) for up
 * to the lease time; after that the row stays `sending`, and whoever takes it over marks it uncertain.
 */
async function recordSent(run: Run, id: number, messageId: string, response: string): Promise<boolean> {
  const until = Date.now() + run.leaseMs;
  for (;;) {
    try {
      return await deliveriesQ.finishAttempt(run.deps.db, id, messageId, {
        status: 'sent',
        replyCode: replyCode(response),
        reply: response,
        error: null,
      });
    } catch (err) {
      if (Date.now() >= until) throw err;
      run.log.warn(
        { delivery_id: id, err: (err as Error).message },
        'mail sent, but the database did not take the record; retrying',
      );
      await run.sleep(1000);
    }
  }
}

/** Where a failed attempt leaves the row. */
function outcome(run: Run, e: MailError, attempt: number): AttemptEnd {
  const base = { replyCode: e.responseCode ?? null, reply: e.response ?? null, error: e.message };
  if (e.uncertain) return { ...base, status: 'uncertain' };
  // A refused login or sender is ours to fix, not the recipient's: the row waits for the next run.
  if (e.permanent && e.scope === 'mailer') return { ...base, status: 'retrying', retryInMs: 0 };
  // A relay that is down (421, refused connections, timeouts) is not the recipient's fault: such attempts
  // do not use up the row's MAIL_MAX_ATTEMPTS; the transport's patience bounds them instead.
  if (e.permanent || (attempt >= run.deps.maxAttempts && e.scope !== 'mailer')) return { ...base, status: 'failed' };
  const base2 = run.deps.retryBaseMs ?? 2000;
  const delay = Math.min(run.deps.retryMaxMs ?? 300_000, base2 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
  return { ...base, status: 'retrying', retryInMs: Math.round(delay) };
}

function transportFailure(run: Run, e: MailError): void {
  run.consecutive++;
  const limit = run.deps.maxConsecutiveFailures ?? 5;
  if (run.stop) return;
  if (e.permanent) return stopRun(run, `mail transport refused us: ${e.message}`);
  if (run.consecutive < limit || run.pause) return;
  // The relay is down: pause (10 s, 20 s, 40 s … 2 min) and try again, until the patience is spent.
  const pauseMs = Math.min(120_000, (run.deps.transportPauseMs ?? 10_000) * 2 ** run.pauses);
  if (run.pausedMs + pauseMs > (run.deps.transportPatienceMs ?? 600_000))
    return stopRun(
      run,
      `sending stopped after ${run.consecutive} consecutive transport failures${run.pauses ? ` and ${run.pauses} pauses (${Math.round(run.pausedMs / 1000)} s)` : ''}: ${e.message}`,
    );
  run.pauses++;
  run.pausedMs += pauseMs;
  run.log.warn(
    { consecutive: run.consecutive, pause_ms: pauseMs, pauses: run.pauses, err: e.message },
    'mail transport keeps failing; sending paused',
  );
  run.pause = run.sleep(pauseMs).then(() => {
    run.pause = null;
    run.consecutive = 0;
  });
}

function stopRun(run: Run, error: string): void {
  run.stop = true;
  run.summary.error = error;
  run.log.error(
    { consecutive: run.consecutive, error },
    'mail transport keeps failing; sending stopped (nothing more is sent in this run)',
  );
}

async function compose(run: Run, row: LeasedDelivery): Promise<MailMessage> {
  const { deps, mail } = run;
  const unsubscribeUrl = unsubscribeUrlFor(deps.publicBaseUrl, row.recipientId, row.email, deps.secret);
  const webViewUrl = webViewUrlFor(deps.publicBaseUrl, mail.edition, row.recipientId, deps.secret, {
    days: deps.webViewLinkDays,
  });
  const { html, text } = await mail.render({ recipientName: row.name, unsubscribeUrl, webViewUrl });
  return buildMessage({
    edition: mail.edition,
    to: { address: row.email, name: row.name },
    from: deps.from,
    subject: mail.subject,
    html,
    text,
    xlsx: mail.xlsx,
    xlsxName: mail.xlsxName,
    unsubscribeUrl,
    unsubscribeMailto: deps.unsubscribeMailto ?? null,
    ...(mail.inlineImages && { inlineImages: mail.inlineImages }),
    messageIdDomain: deps.from.address.split('@')[1] ?? 'localhost',
  });
}

/**
 * Takes over what dead workers left: their `sending` rows become `uncertain` (the message may have gone
 * out), their merely leased rows go back to the queue. A worker is dead when its lease expired, or when it
 * ran on this machine and its process is gone; a live worker's rows are never touched.
 */
async function recoverAbandoned(run: Run): Promise<void> {
  const { db } = run.deps;
  const released = new Set<string>();
  for (const f of await deliveriesQ.listForeignLeases(db, run.mail.editionId, run.owner)) {
    if (!f.expired && !ownerIsGone(f.owner, run.owner)) continue;
    if (f.status === 'sending') {
      const reason =
        `interrupted while sending (worker ${f.owner ?? 'unknown'} is gone): the message may have been delivered; ` +
        'it is not re-sent automatically (finrep deliveries resend)';
      if (await deliveriesQ.markAbandonedUncertain(db, f.id, f.owner, reason)) {
        run.log.warn(
          { delivery_id: f.id, to: f.email, dead_worker: f.owner },
          'delivery interrupted by a crash marked uncertain (not re-sent)',
        );
      }
    } else if (f.owner && !released.has(f.owner)) {
      released.add(f.owner);
      await deliveriesQ.releaseLeases(db, f.owner, run.mail.editionId);
    }
  }
}

function replyCode(response: string): number | null {
  const m = /^(\d{3})\b/.exec(response);
  return m ? Number(m[1]) : null;
}
