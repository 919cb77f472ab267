/**
 * The edition's chat channels, sent exactly once per channel and edition by the deliver stage, with the
 * rules of the mail's `delivery_log` (src/deliver/run.ts): one `channel_log` row per channel, leased by one
 * worker at a time (owner + expiry, renewed by a heartbeat), `sending` only while a request is in flight,
 * and a `sending` row whose worker is gone becomes `uncertain` and is never re-sent automatically.
 *
 * An edition that does not fit one message goes out in parts: the row keeps the parts as rendered before the
 * first one goes out (`rendered`, `parts`) and, after each part the platform accepted, `parts_sent`. A worker
 * killed between parts leaves the row `queued` with its `parts_sent`; the next run sends only the parts left,
 * of the kept rendering (the edition may render otherwise by then). A worker killed while a part's request
 * was in flight leaves it `sending` → `uncertain` (that part may have been posted): nothing more goes to that
 * channel until an operator resends (`finrep channels resend`).
 */
import type { Db } from '../db/client.ts';
import * as q from '../db/queries/channels.ts';
import type { ChannelRow, LeasedChannelLog, PartEnd } from '../db/queries/channels.ts';
import { ownerIsGone, PROCESS_OWNER } from '../deliver/lease.ts';
import { createLocalRateLimiter, createRedisRateLimiter } from '../deliver/rate-limit.ts';
import type { RateLimiter } from '../deliver/rate-limit.ts';
import type { Logger } from '../log.ts';
import { forChannel } from './digest.ts';
import { openTarget } from './store.ts';
import { ChannelError } from './types.ts';
import type { ChannelAdapter, ChannelDigest, ChannelKind, ChannelMessage, ChannelTarget } from './types.ts';

/** What the channels of an edition did, for the run summary (`deliver.channels`). */
export interface ChannelSummary {
  /** Enabled channels routed to this edition. */
  channels: number;
  /** Channels whose every part went out in this run. */
  sent: number;
  /** Failed for good in this run (a permanent refusal, out of attempts, a URL that cannot be opened). */
  failed: number;
  /** Routed channels not sent to because their row was already sent, uncertain or failed. */
  skipped: number;
  /** The edition's rows whose outcome is unknown (never re-sent automatically). */
  uncertain: number;
  /** Rows still waiting (a retry due after the run's patience) when the run ended. */
  retrying: number;
  /** Set when the channel run itself broke (the database); the mail is not affected. */
  error: string | null;
}

export const EMPTY_CHANNEL_SUMMARY: ChannelSummary = {
  channels: 0,
  sent: 0,
  failed: 0,
  skipped: 0,
  uncertain: 0,
  retrying: 0,
  error: null,
};

export interface ChannelRunDeps {
  db: Db;
  log: Logger;
  /** The signing secret the channels' URLs and secrets are sealed under. */
  secret: string;
  /** Attempts per part for transient failures (`CHANNEL_MAX_ATTEMPTS`). @defaultValue 5 */
  maxAttempts?: number;
  /** Paces each channel across every worker on this Redis (`REDIS_URL`). @defaultValue null (in-process) */
  redisUrl?: string | null;
  /** The platform adapters. @defaultValue src/channels/adapters.ts `adapterFor` */
  adapterFor?: (kind: ChannelKind) => ChannelAdapter;
  /** Requests per minute per channel instead of the platform's (tests). */
  perMinute?: number;
  /** First retry delay; doubles per attempt, ±20 % jitter. @defaultValue 2000 */
  retryBaseMs?: number;
  /** Longest retry delay of our own (a platform's Retry-After is honoured whatever it is). @defaultValue 60000 */
  retryMaxMs?: number;
  /** How long the run waits for retries that are due later; the rest stays `retrying`. @defaultValue 600000 */
  patienceMs?: number;
  /** How long a row stays ours without a heartbeat. @defaultValue 60000 */
  leaseMs?: number;
  /** This worker's lease owner id. @defaultValue {@link PROCESS_OWNER} */
  owner?: string;
  /** Channels sent at once. @defaultValue 4 */
  concurrency?: number;
  /** Per-request timeout. @defaultValue the adapter's (10 s) */
  timeoutMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface ChannelRunInput {
  editionId: number;
  /** YYYY-MM-DD, for the log. */
  edition: string;
  /** The edition's digest, or how to build it (only called when some channel has parts to send). */
  digest: ChannelDigest | (() => Promise<ChannelDigest>);
  /**
   * The recipient groups of the run (`finrep run --groups`): a channel without a group follows every
   * edition; a channel with a group is sent only when no groups were chosen or its group is among them.
   */
  groups?: readonly string[] | null;
  /** Only these channels (by name) among the routed ones: an operator's resend. @defaultValue every routed channel */
  only?: readonly string[];
  /**
   * Send only channels that already have a row for this edition (queued by the edition's own deliver stage
   * or put back by an operator): a resend of the edition's mail must not push it to a channel added since,
   * or outside the edition's groups. @defaultValue false
   */
  queuedOnly?: boolean;
}

interface Run {
  deps: ChannelRunDeps;
  input: ChannelRunInput;
  owner: string;
  log: Logger;
  ids: number[];
  leaseMs: number;
  deadline: number;
  summary: ChannelSummary;
  digest: Promise<ChannelDigest> | null;
  adapterFor: (kind: ChannelKind) => ChannelAdapter;
  limiters: Map<number, RateLimiter>;
  sleep: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** In-process limiters by channel id, kept across runs so that two editions in a row are paced too. */
const LOCAL_LIMITERS = new Map<string, RateLimiter>();

/**
 * Sends the edition to every routed, enabled channel whose row is not sent, uncertain or failed. Any number
 * of workers may run it at once for one edition. Never throws for a channel's failure (it is in the log
 * and the summary); a database failure ends the run with `error` set.
 *
 * @example
 * const summary = await runChannels({ db, log, secret, redisUrl }, { editionId, edition: '2026-12-05',
 *   digest: () => editionDigest(db, model), groups: null });
 */
export async function runChannels(deps: ChannelRunDeps, input: ChannelRunInput): Promise<ChannelSummary> {
  const { db } = deps;
  const groups = input.groups?.map((g) => g.trim()).filter(Boolean) ?? [];
  const queued = input.queuedOnly
    ? new Set((await q.listChannelLog(db, input.editionId)).map((r) => r.channelId))
    : null;
  const routed = (await q.channelsForEdition(db, groups.length > 0 ? groups : null)).filter(
    (c) => (!input.only || input.only.includes(c.name)) && (!queued || queued.has(c.id)),
  );
  if (routed.length === 0) return { ...EMPTY_CHANNEL_SUMMARY };
  const owner = deps.owner ?? PROCESS_OWNER;
  const log = deps.log.child({ edition: input.edition, worker: owner, part: 'channels' });
  await q.queueChannelLog(db, input.editionId, routed);
  const ids = routed.map((c) => c.id);
  const adapterFor = deps.adapterFor ?? (await import('./adapters.ts')).adapterFor;
  const run: Run = {
    deps,
    input,
    owner,
    log,
    ids,
    leaseMs: deps.leaseMs ?? 60_000,
    deadline: Date.now() + (deps.patienceMs ?? 600_000),
    digest: null,
    adapterFor,
    limiters: new Map(),
    sleep: deps.sleep ?? defaultSleep,
    summary: {
      ...EMPTY_CHANNEL_SUMMARY,
      channels: routed.length,
    },
  };
  log.info({ channels: routed.map((c) => c.name), groups }, 'channels started');
  const heartbeat = setInterval(() => {
    q.renewChannelLeases(db, owner, run.leaseMs).catch((err: unknown) =>
      log.warn({ err }, 'channel lease heartbeat failed'),
    );
  }, run.leaseMs / 3);
  heartbeat.unref();
  try {
    await q.releaseChannelLeases(db, owner, input.editionId);
    await recoverAbandoned(run);
    // Counted after the take-over, so that a row a dead worker left mid-send counts as skipped (uncertain).
    const before = await q.channelCounts(db, input.editionId, ids);
    run.summary.skipped = before.sent + before.uncertain + before.failed;
    const loops = Math.max(1, Math.min(deps.concurrency ?? 4, routed.length));
    const results = await Promise.allSettled(Array.from({ length: loops }, () => loop(run)));
    const crashed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (crashed) throw crashed.reason;
  } catch (err) {
    run.summary.error = (err as Error).message;
    log.error({ err }, 'channels stopped');
  } finally {
    clearInterval(heartbeat);
    await q
      .releaseChannelLeases(db, owner, input.editionId)
      .catch((err: unknown) => log.warn({ err }, 'releasing channel leases failed'));
    for (const l of run.limiters.values()) if (l.kind === 'redis') await l.close();
  }
  const after = await q.channelCounts(db, input.editionId, ids).catch(() => null);
  if (after) {
    run.summary.uncertain = after.uncertain;
    run.summary.retrying = after.queued + after.retrying;
  }
  log.info({ ...run.summary }, 'channels finished');
  return run.summary;
}

async function loop(run: Run): Promise<void> {
  const { db } = run.deps;
  const where = { editionId: run.input.editionId, owner: run.owner, channelIds: run.ids };
  for (;;) {
    const row = await q.leaseNextChannelLog(db, { ...where, leaseMs: run.leaseMs });
    if (row) {
      await sendRow(run, row);
      continue;
    }
    const state = await q.pendingChannelState(db, where);
    if (state.ready > 0) await run.sleep(5);
    else if (state.nextDueMs !== null) {
      if (Date.now() + state.nextDueMs > run.deadline) return; // due after our patience: a later run sends it
      await run.sleep(Math.min(Math.max(state.nextDueMs, 10), 1000));
    } else if (state.leasedElsewhere > 0) {
      await run.sleep(500);
      await recoverAbandoned(run);
    } else return;
  }
}

function digestOf(run: Run): Promise<ChannelDigest> {
  const d = run.input.digest;
  run.digest ??= typeof d === 'function' ? d() : Promise.resolve(d);
  return run.digest;
}

/** The channel's limiter: its platform's pace, shared through Redis when there is one. */
function limiterFor(run: Run, channel: ChannelRow, adapter: ChannelAdapter): RateLimiter {
  const perMinute = run.deps.perMinute ?? adapter.rateLimit.perMinute;
  const ratePerSec = Math.max(perMinute, 0.01) / 60;
  let l = run.limiters.get(channel.id);
  if (l) return l;
  if (run.deps.redisUrl) {
    l = createRedisRateLimiter({
      url: run.deps.redisUrl,
      ratePerSec,
      log: run.log,
      key: `finrep:channel:rate:${channel.id}`,
    });
  } else {
    const key = `${channel.id}:${perMinute}`;
    l = LOCAL_LIMITERS.get(key) ?? createLocalRateLimiter(ratePerSec);
    LOCAL_LIMITERS.set(key, l);
  }
  run.limiters.set(channel.id, l);
  return l;
}

/** Waits for the channel's slot; a Redis that does not answer falls back to this process's pace. */
async function paced(run: Run, channel: ChannelRow, adapter: ChannelAdapter): Promise<void> {
  const l = limiterFor(run, channel, adapter);
  try {
    await l.acquire();
  } catch (err) {
    run.log.warn(
      { channel: channel.name, err: (err as Error).message },
      'channel rate limiter unavailable; pacing locally',
    );
    await l.close().catch(() => {});
    const local = createLocalRateLimiter(Math.max(run.deps.perMinute ?? adapter.rateLimit.perMinute, 0.01) / 60);
    run.limiters.set(channel.id, local);
    await local.acquire();
  }
}

/** Failed attempts at the row's current part since it was last (re)queued by an operator. */
function failuresOfPart(row: LeasedChannelLog): number {
  const part = row.partsSent + 1;
  let n = 0;
  for (const h of row.history) {
    if (h.status === 'queued' && h.part === null)
      n = 0; // an operator's resend starts the count again
    else if (h.part === part && (h.status === 'retrying' || h.status === 'failed')) n++;
  }
  return n;
}

/**
 * The parts of the row: when some went out already, the rest of the rendering they came from (kept with the
 * row), so that the chat never gets the tail of another rendering — the report edited in review, another
 * `maxItems`; otherwise the edition as it renders now.
 */
async function partsOf(
  run: Run,
  row: LeasedChannelLog,
  channel: ChannelRow,
  target: ChannelTarget,
  adapter: ChannelAdapter,
): Promise<ChannelMessage[]> {
  if (row.partsSent > 0 && row.rendered) return row.rendered;
  const messages = adapter.render(forChannel(await digestOf(run), channel.options.maxItems), target);
  if (messages.length === 0) throw new Error('the edition rendered to no message');
  return messages;
}

async function sendRow(run: Run, row: LeasedChannelLog): Promise<void> {
  const { deps, log } = run;
  const { db } = deps;
  const channel = await q.getChannelRowById(db, row.channelId);
  if (!channel) return void (await q.releaseChannelLease(db, row.id, run.owner));
  let target: ChannelTarget;
  let adapter: ChannelAdapter;
  let messages: ChannelMessage[];
  try {
    target = openTarget(channel, deps.secret);
    adapter = run.adapterFor(channel.kind);
    messages = await partsOf(run, row, channel, target, adapter);
  } catch (err) {
    if (await q.failUnsentChannel(db, row.id, run.owner, (err as Error).message)) run.summary.failed++;
    log.warn({ channel: channel.name, err: (err as Error).message }, 'channel message could not be built');
    return;
  }
  const parts = messages.length;
  if (row.partsSent === 0) {
    if (!(await q.keepRendering(db, row.id, run.owner, messages))) return; // the lease was lost
  } else if (!row.rendered) {
    // A row queued before renderings were kept, part-way through: it goes on with what it renders to now.
    if (row.partsSent >= parts) {
      if (await q.completeChannelLog(db, row.id, run.owner)) run.summary.sent++;
      return;
    }
    if (row.parts !== parts && !(await q.setParts(db, row.id, run.owner, parts))) return;
  }
  let failures = failuresOfPart(row);
  for (let part = row.partsSent + 1; part <= parts; part++) {
    await paced(run, channel, adapter);
    const attempt = await q.startPart(db, { id: row.id, owner: run.owner, part, leaseMs: run.leaseMs });
    if (attempt === null) return; // the lease was lost: another worker has the row now
    const ctx = { channel: channel.name, kind: channel.kind, channel_log_id: row.id, part, parts, attempt };
    let reply: { status: number; reply: string };
    try {
      reply = await adapter.send(target, messages[part - 1]!, {
        ...(deps.now && { now: deps.now }),
        ...(deps.timeoutMs !== undefined && { timeoutMs: deps.timeoutMs }),
      });
    } catch (err) {
      const e =
        err instanceof ChannelError
          ? err
          : new ChannelError(`${channel.name}: ${(err as Error).message}`, { code: 'EUNKNOWN', cause: err });
      const end = outcome(run, e, failures + 1);
      await q.finishPart(db, { id: row.id, part, parts }, end);
      if (end.status === 'failed') run.summary.failed++;
      log.warn(
        { ...ctx, status: end.status, code: e.code, reply_code: e.status, retry_in_ms: end.retryInMs, err: e.message },
        end.status === 'retrying'
          ? 'channel message will be retried'
          : end.status === 'uncertain'
            ? 'channel message outcome unknown; not retried'
            : 'channel message failed',
      );
      return;
    }
    failures = 0;
    await recordPart(run, { id: row.id, part, parts }, reply);
    log.info({ ...ctx, reply_code: reply.status }, part === parts ? 'channel sent' : 'channel part sent');
  }
  run.summary.sent++;
}

/** Where a failed request leaves the row. */
function outcome(run: Run, e: ChannelError, failures: number): PartEnd {
  const base = { replyCode: e.status, reply: e.reply, error: e.message };
  if (e.uncertain) return { ...base, status: 'uncertain' };
  if (e.permanent || failures >= (run.deps.maxAttempts ?? 5)) return { ...base, status: 'failed' };
  const backoff =
    Math.min(run.deps.retryMaxMs ?? 60_000, (run.deps.retryBaseMs ?? 2000) * 2 ** (failures - 1)) *
    (0.8 + Math.random() * 0.4);
  const retryInMs = e.retryAfterMs !== null ? Math.max(e.retryAfterMs, 0) : Math.round(backoff);
  return { ...base, status: 'retrying', retryInMs };
}

/**
 * Records a part the platform accepted, retrying while the database does not answer for up to the lease
 * time (a failed record must not make the part go out twice); after that whoever takes the row over finds
 * it `sending` and marks it uncertain.
 */
async function recordPart(
  run: Run,
  o: { id: number; part: number; parts: number },
  reply: { status: number; reply: string },
): Promise<void> {
  const until = Date.now() + run.leaseMs;
  for (;;) {
    try {
      await q.finishPart(run.deps.db, o, { status: 'sent', replyCode: reply.status, reply: reply.reply, error: null });
      return;
    } catch (err) {
      if (Date.now() >= until) throw err;
      run.log.warn(
        { channel_log_id: o.id, err: (err as Error).message },
        'channel part sent, but not recorded; retrying',
      );
      await run.sleep(1000);
    }
  }
}

/** What dead workers left: their `sending` rows become `uncertain`, their merely leased rows go back. */
async function recoverAbandoned(run: Run): Promise<void> {
  const { db } = run.deps;
  const released = new Set<string>();
  for (const f of await q.listForeignChannelLeases(db, run.input.editionId, run.owner)) {
    if (!f.expired && !ownerIsGone(f.owner, run.owner)) continue;
    if (f.status === 'sending') {
      const reason =
        `interrupted while sending (worker ${f.owner ?? 'unknown'} is gone): the message may have been posted; ` +
        'it is not re-sent automatically (finrep channels resend)';
      if (await q.markChannelUncertain(db, f.id, f.owner, reason))
        run.log.warn(
          { channel: f.channelName, channel_log_id: f.id, dead_worker: f.owner },
          'channel message interrupted by a crash marked uncertain (not re-sent)',
        );
    } else if (f.owner && !released.has(f.owner)) {
      released.add(f.owner);
      await q.releaseChannelLeases(db, f.owner, run.input.editionId);
    }
  }
}

/**
 * Sends a composed edition (its stored report model) to its channels — what `finrep channels send` and
 * `finrep channels resend` run. Throws when there is no such edition or it was not composed.
 */
export async function sendStoredChannels(
  deps: ChannelRunDeps,
  o: { date: string; groups?: readonly string[] | null; only?: readonly string[] },
): Promise<ChannelSummary> {
  const [{ editionsQ }, { loadReportModel }, { editionDigest }] = await Promise.all([
    import('../db/queries/index.ts'),
    import('../report/stored-model.ts'),
    import('./digest.ts'),
  ]);
  const edition = await editionsQ.findEditionByDate(deps.db, o.date);
  if (!edition) throw new ChannelRunError(`no edition ${o.date}`);
  const stored = edition.model;
  if (!stored) throw new ChannelRunError(`edition ${o.date} has no composed report to send`);
  return runChannels(deps, {
    editionId: edition.id,
    edition: o.date,
    digest: () => editionDigest(deps.db, loadReportModel(stored)),
    groups: o.groups ?? null,
    ...(o.only && { only: o.only }),
  });
}

/** An edition that cannot be sent to channels (none, or not composed). */
export class ChannelRunError extends Error {
  override readonly name = 'ChannelRunError';
}
