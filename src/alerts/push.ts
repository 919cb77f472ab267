/**
 * Pushing one match: the alert_log row is claimed first (`ON CONFLICT DO NOTHING`: only the run that
 * inserted it pushes, so a story fires a rule once across re-runs and racing workers), then held back by
 * the quiet hours or the daily cap, or pushed to each channel and mailed to each recipient, every target's
 * outcome recorded on the row. The row is `sending` under a lease while requests are in flight: a process
 * killed there leaves it for the next run to mark `uncertain`, never to push again.
 */
import type { ChannelAdapter, ChannelDigest, ChannelTarget, DigestItem } from '../channels/types.ts';
import { ChannelError } from '../channels/types.ts';
import type { Db } from '../db/client.ts';
import { alertsQ, recipientsQ } from '../db/queries/index.ts';
import type { AlertRuleRow, AlertStory, AlertTargetOutcome } from '../db/queries/alerts.ts';
import type { Mailer } from '../deliver/mailer.ts';
import { CATEGORY_LABELS } from '../domain.ts';
import type { Logger } from '../log.ts';
import { alertMail } from './mail.ts';
import { alertDay, inQuietHours } from './match.ts';

/** A channel as an alert needs it: where it posts and the platform that renders and sends. */
export interface AlertChannel {
  target: ChannelTarget;
  adapter: ChannelAdapter;
}

/** The alert pusher's dependencies (the consumer's interface: channels and mail are given, not looked up). */
export interface AlertPushDeps {
  db: Db;
  log: Logger;
  now: () => Date;
  timeZone: string;
  /** host:pid, the lease owner of the rows being pushed. */
  worker: string;
  /** A channel by id, opened; null when it was removed or is disabled. */
  openChannel: (channelId: number) => Promise<AlertChannel | null>;
  /** The mail transport and sender; null: mail targets are recorded failed ("no mailer"). */
  mail: { mailer: Mailer; from: { address: string; name: string } } | null;
  /** For the link to the web view in the digest; null when PUBLIC_BASE_URL is unset. */
  publicBaseUrl: string | null;
  /** How long a push may hold its row before another run calls it uncertain. @defaultValue 10 min */
  leaseMs?: number;
  /** Wait before the second attempt at a channel (an outage or a rate limit). @defaultValue 2000 ms */
  retryDelayMs?: number;
}

export type PushOutcome = 'duplicate' | 'suppressed' | 'sent' | 'failed' | 'uncertain';

/** Pushes a rule's match on a story, once: returns what became of it (`duplicate`: another run has it). */
export async function pushMatch(
  deps: AlertPushDeps,
  rule: AlertRuleRow,
  story: AlertStory,
  hits: string[],
): Promise<PushOutcome> {
  const now = deps.now();
  const day = alertDay(now, deps.timeZone);
  const lease = { leaseOwner: deps.worker, leaseExpiresAt: new Date(now.getTime() + (deps.leaseMs ?? 600_000)) };
  const id = await alertsQ.claimAlert(deps.db, rule.id, story.storyId, day, lease);
  if (id === null) return 'duplicate';
  return pushClaimed(deps, id, rule, story, hits, day);
}

/** A claimed alert: held back by the quiet hours or the cap, or pushed to every target. */
export async function pushClaimed(
  deps: AlertPushDeps,
  id: number,
  rule: AlertRuleRow,
  story: AlertStory,
  hits: string[],
  day: string,
): Promise<PushOutcome> {
  const { db } = deps;
  const clear = { leaseOwner: null, leaseExpiresAt: null };
  if (inQuietHours(deps.now(), rule.quietFrom, rule.quietTo, deps.timeZone)) {
    await alertsQ.setAlert(db, id, {
      status: 'suppressed',
      reason: `quiet hours ${rule.quietFrom}-${rule.quietTo}`,
      ...clear,
    });
    return 'suppressed';
  }
  // The cap is counted and the row marked in one transaction under a lock on the rule: racing runs never
  // let the N+1st alert of the day through.
  const lease = {
    leaseOwner: deps.worker,
    leaseExpiresAt: new Date(deps.now().getTime() + (deps.leaseMs ?? 600_000)),
  };
  const capped = `daily cap ${rule.dailyCap} reached`;
  if (!(await alertsQ.admitAlert(db, id, { ruleId: rule.id, day, cap: rule.dailyCap, lease, reason: capped })))
    return 'suppressed';
  const targets: AlertTargetOutcome[] = [];
  const record = async (o: Omit<AlertTargetOutcome, 'at'>) => {
    targets.push({ ...o, at: deps.now().toISOString() });
    await alertsQ.setAlert(db, id, { targets });
  };
  const digest = alertDigest(deps, rule, story, hits);
  for (const channelId of rule.channelIds) await record(await pushChannel(deps, channelId, digest));
  for (const o of await mailAlert(deps, rule, story, hits)) await record(o);
  const status = finalStatus(targets);
  const failed = targets.filter((t) => t.status !== 'sent').length;
  const reason = failed > 0 ? `${failed} of ${targets.length} targets not reached` : null;
  await alertsQ.setAlert(db, id, { status, reason, targets, ...clear });
  deps.log.info({ rule: rule.name, story_id: story.storyId, status, targets: targets.length }, 'alert pushed');
  return status;
}

/** `sent` when a target got it and none is in doubt; `uncertain` when one may have; `failed` when none did. */
export function finalStatus(targets: AlertTargetOutcome[]): 'sent' | 'failed' | 'uncertain' {
  if (targets.some((t) => t.status === 'uncertain')) return 'uncertain';
  return targets.some((t) => t.status === 'sent') ? 'sent' : 'failed';
}

/** The story as a channel shows it (one item, kind `alert`). */
export function alertDigest(
  deps: Pick<AlertPushDeps, 'publicBaseUrl'>,
  rule: AlertRuleRow,
  story: AlertStory,
  hits: string[],
): ChannelDigest {
  const e = story.extraction;
  const item: DigestItem = {
    title: story.title,
    url: story.url,
    source: story.sourceName,
    summary: e.summary,
    sentiment: e.sentiment,
    sentimentScore: e.sentiment_score,
    importance: Math.round(Math.min(5, Math.max(0, e.importance)) * 20),
    tickers: e.entities.companies.flatMap((c) => (c.ticker ? [c.ticker] : [])),
    category: CATEGORY_LABELS[e.category] ?? e.category,
  };
  return {
    kind: 'alert',
    title: `[预警] ${rule.name} · ${story.title}`,
    edition: null,
    webViewUrl: deps.publicBaseUrl,
    items: [item],
    rule: { name: rule.name, hits },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One channel: every part of the rendered alert, a part tried twice when the platform was down or asked to
 * wait (its `retryAfterMs`, up to a minute); a reply that never came is uncertain and not tried again.
 * The operational alerts (src/ops/ops-alerts.ts) push through it too.
 */
export async function pushChannel(
  deps: Pick<AlertPushDeps, 'openChannel' | 'now' | 'log' | 'retryDelayMs'>,
  channelId: number,
  digest: ChannelDigest,
): Promise<Omit<AlertTargetOutcome, 'at'>> {
  let channel: AlertChannel | null;
  try {
    channel = await deps.openChannel(channelId);
  } catch (err) {
    return { target: `channel:${channelId}`, status: 'failed', error: (err as Error).message };
  }
  if (!channel) return { target: `channel:${channelId}`, status: 'failed', error: 'channel removed or disabled' };
  const target = `channel:${channel.target.name}`;
  try {
    for (const message of channel.adapter.render(digest, channel.target)) {
      for (let attempt = 1; ; attempt++) {
        try {
          await channel.adapter.send(channel.target, message, { now: deps.now });
          break;
        } catch (err) {
          const e = err instanceof ChannelError ? err : null;
          if (!e || e.permanent || e.uncertain || attempt >= 2) throw err;
          await sleep(Math.min(60_000, e.retryAfterMs ?? deps.retryDelayMs ?? 2000));
        }
      }
    }
    return { target, status: 'sent', error: null };
  } catch (err) {
    const uncertain = err instanceof ChannelError && err.uncertain;
    deps.log.warn({ target, err: (err as Error).message }, 'alert: channel push failed');
    return { target, status: uncertain ? 'uncertain' : 'failed', error: (err as Error).message.slice(0, 500) };
  }
}

/** The rule's mail groups' active recipients, one short message each. */
async function mailAlert(
  deps: AlertPushDeps,
  rule: AlertRuleRow,
  story: AlertStory,
  hits: string[],
): Promise<Omit<AlertTargetOutcome, 'at'>[]> {
  if (rule.mailGroups.length === 0) return [];
  const groups = rule.mailGroups.includes('*') ? null : rule.mailGroups;
  const recipients = await recipientsQ.listActiveRecipients(deps.db, { groups });
  if (recipients.length === 0)
    return [{ target: 'mail', status: 'failed', error: 'no active recipient in the groups' }];
  const out: Omit<AlertTargetOutcome, 'at'>[] = [];
  for (const r of recipients) {
    const target = `mail:${r.email}`;
    if (!deps.mail) {
      out.push({ target, status: 'failed', error: 'no mailer' });
      continue;
    }
    try {
      const msg = alertMail({
        rule,
        story,
        hits,
        to: { address: r.email, name: r.name },
        from: deps.mail.from,
        now: deps.now(),
      });
      const res = await deps.mail.mailer.send(msg);
      out.push({ target, status: res.accepted ? 'sent' : 'failed', error: res.accepted ? null : res.response });
    } catch (err) {
      const uncertain = (err as { uncertain?: boolean }).uncertain === true;
      out.push({ target, status: uncertain ? 'uncertain' : 'failed', error: (err as Error).message.slice(0, 500) });
    }
  }
  return out;
}
