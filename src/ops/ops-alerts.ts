/**
 * Operational alerts through the channels, for an installation without Prometheus (the embedded shape, a
 * small compose deployment): the same three conditions the Prometheus rules watch — the scheduled edition
 * past EDITION_DEADLINE and not delivered, a source failing for OPS_ALERT_SOURCE_HOURS, the LLM spend of
 * the day or month at OPS_ALERT_BUDGET_RATIO of its budget — pushed to OPS_ALERT_CHANNELS and mailed to
 * OPS_ALERT_MAIL. Each incident is claimed in `ops_alert_log` by its key before anything is pushed, so it is
 * pushed once across checks and processes; when its condition clears, one short "resolved" message follows.
 * The check is a few queries (conditions.ts), run by the `ops` queue's job (beat's `ops-alerts` scheduler,
 * or `finrep start`'s timer) every OPS_ALERT_CRON, or by `finrep alerts ops check`.
 */
import { domainToASCII } from 'node:url';
import { pushChannel, finalStatus } from '../alerts/push.ts';
import { storedChannels } from '../alerts/targets.ts';
import { safeHttpUrl } from '../channels/markdown.ts';
import type { ChannelDigest, OpsSeverity } from '../channels/types.ts';
import type { Config } from '../config/index.ts';
import { effectiveConfig } from '../config/overrides.ts';
import type { Db } from '../db/client.ts';
import { channelsNamed } from '../db/queries/alerts.ts';
import * as opsQ from '../db/queries/ops-alerts.ts';
import type { NewOpsAlert, OpsAlertRow } from '../db/queries/ops-alerts.ts';
import { editionsQ } from '../db/queries/index.ts';
import type { OpsAlertKind, OpsAlertTarget } from '../db/schema/index.ts';
import type { MailMessage } from '../deliver/mailer.ts';
import { newMessageId } from '../deliver/message.ts';
import type { OpenedMailer } from '../jobs/handlers.ts';
import { dateInZone } from '../lib/time.ts';
import type { Logger } from '../log.ts';
import { budgetUse, DELIVERED, editionSchedule } from './conditions.ts';

/** What the check needs. */
export interface OpsAlertDeps {
  db: Db;
  config: Config;
  log: Logger;
  now?: () => Date;
  /** host:pid, the lease owner of the rows being pushed. */
  worker: string;
  /** Opens the channels' sealed URLs and secrets. */
  secret: string;
  /** The mail transport, opened only when there is a message for OPS_ALERT_MAIL; null: mail is recorded failed. */
  openMailer: () => Promise<OpenedMailer | null>;
  /** How long a push may hold its row before a later check calls it uncertain. @defaultValue 10 min */
  leaseMs?: number;
  /** Wait before the second attempt at a channel. @defaultValue 2000 ms */
  retryDelayMs?: number;
}

/** What one check did. */
export interface OpsCheckSummary {
  /** Nothing checked: OPS_ALERT_CHANNELS and OPS_ALERT_MAIL are both empty. */
  skipped?: 'no targets';
  /** Incidents pushed by this check, and how each push ended. */
  opened: { key: string; status: string }[];
  /** Incidents this check found cleared, and how each resolved message ended. */
  resolved: { key: string; status: string }[];
  /** Incidents open after the check. */
  open: number;
  /** Pushes a process left mid-way, now uncertain. */
  uncertain: number;
}

/** An incident found by the check, with how it reads in a channel. */
interface Incident extends NewOpsAlert {
  severity: Exclude<OpsSeverity, 'resolved'>;
  title: string;
  lines: string[];
  /** Console path that helps (`/runs`, `/sources/7`, `/admin/usage`). */
  page: string;
}

const KIND_LABEL: Record<OpsAlertKind, string> = {
  'edition-late': '日报逾期',
  'source-failing': '信源失败',
  'llm-budget': '模型预算',
};

const fmtTime = (at: Date, tz: string) =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);

/** Runs the check once: pushes each new incident, and the resolved message of each that cleared. */
export async function checkOpsAlerts(deps: OpsAlertDeps): Promise<OpsCheckSummary> {
  const now = deps.now ?? (() => new Date());
  const config = await effectiveConfig(deps.db, deps.config);
  const summary: OpsCheckSummary = { opened: [], resolved: [], open: 0, uncertain: 0 };
  const { channels, mail } = config.opsAlerts;
  if (channels.length === 0 && mail.length === 0) return { ...summary, skipped: 'no targets' };
  const pusher = new Pusher(deps, config, now);
  try {
    const stale = await opsQ.recoverStaleOpsAlerts(deps.db, now());
    summary.uncertain = stale.uncertain;
    for (const id of stale.queued) {
      const row = await opsQ.takeQueuedOpsAlert(deps.db, id, pusher.lease(), now());
      if (row) summary.opened.push({ key: row.key, status: await pusher.open(row.id, storedIncident(row)) });
    }
    const at = now();
    const found = await incidents(deps.db, config, at);
    for (const incident of found) {
      const id = await opsQ.claimOpsAlert(deps.db, incident, pusher.lease(), at);
      if (id === null) continue; // pushed before (or by another check right now)
      summary.opened.push({ key: incident.key, status: await pusher.open(id, incident) });
    }
    const current = new Set(found.map((i) => i.key));
    for (const row of await opsQ.openOpsAlerts(deps.db)) {
      // An incident whose opening push is still in flight (another check) is left to it.
      if (row.status === 'queued' || row.status === 'sending') continue;
      const cleared = await clearedBecause(deps.db, row, current, at, config.timeZone);
      if (!cleared) {
        summary.open++;
        continue;
      }
      const message = `${row.subject}：${cleared}`;
      if (!(await opsQ.claimResolved(deps.db, row.id, message, pusher.lease(), now()))) continue;
      summary.resolved.push({ key: row.key, status: await pusher.resolve(row, cleared) });
    }
  } finally {
    await pusher.close();
  }
  if (summary.opened.length > 0 || summary.resolved.length > 0)
    deps.log.info(
      { opened: summary.opened.length, resolved: summary.resolved.length, open: summary.open },
      'ops alerts checked',
    );
  return summary;
}

/** The three conditions as they stand at `at`. */
async function incidents(db: Db, config: Config, at: Date): Promise<Incident[]> {
  const tz = config.timeZone;
  const out: Incident[] = [];
  const edition = await editionSchedule(db, config, at);
  if (edition.overdue) {
    const date = edition.scheduledDate;
    const last = edition.lastDeliveredDate ? `上一期已送达：${edition.lastDeliveredDate}` : '尚无已送达的日报';
    out.push({
      key: `edition-late:${date}`,
      kind: 'edition-late',
      severity: 'critical',
      subject: `日报 ${date}`,
      title: `日报 ${date} 逾期未送达`,
      message: `日报 ${date} 已过截止时间 ${fmtTime(edition.deadlineAt, tz)}，仍未送达。`,
      lines: [`日报 ${date} 已过截止时间 ${fmtTime(edition.deadlineAt, tz)}，仍未送达。`, last],
      detail: { date },
      page: '/runs',
    });
  }
  const hours = config.opsAlerts.sourceHours;
  for (const s of await opsQ.failingSources(db, new Date(at.getTime() - hours * 3_600_000))) {
    const since = s.lastSuccessAt ? s.lastSuccessAt.toISOString() : 'never';
    const lastOk = s.lastSuccessAt ? `上次成功：${fmtTime(s.lastSuccessAt, tz)}` : '从未成功抓取';
    const error = s.lastError ? `最近错误：${s.lastError.slice(0, 300)}` : '最近错误：（无记录）';
    out.push({
      key: `source-failing:${s.id}:${since}`,
      kind: 'source-failing',
      severity: 'warning',
      subject: `信源 ${s.name}`,
      title: `信源「${s.name}」已持续失败超过 ${hours} 小时`,
      message: `信源「${s.name}」超过 ${hours} 小时未抓取成功（连续失败 ${s.consecutiveFailures} 次）。${lastOk}。${error}`,
      lines: [`连续失败 ${s.consecutiveFailures} 次；${lastOk}`, error],
      detail: { sourceId: s.id, lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null },
      page: `/sources/${s.id}`,
    });
  }
  const ratio = config.opsAlerts.budgetRatio;
  for (const b of await budgetUse(db, config, at)) {
    if (b.limit === null || b.limit <= 0 || b.spent < ratio * b.limit) continue;
    const label = b.period === 'day' ? `今日（${b.periodKey}）` : `本月（${b.periodKey}）`;
    const pct = Math.round((b.spent / b.limit) * 100);
    const line = `${label}模型费用 ¥${b.spent.toFixed(2)}，已达预算 ¥${b.limit.toFixed(2)} 的 ${pct}%（告警阈值 ${Math.round(ratio * 100)}%）。`;
    out.push({
      key: `llm-budget:${b.period}:${b.periodKey}`,
      kind: 'llm-budget',
      severity: b.spent >= b.limit ? 'critical' : 'warning',
      subject: `模型预算 ${b.periodKey}`,
      title: `${label}模型费用已达预算的 ${pct}%`,
      message: line,
      lines: [
        line,
        b.spent >= b.limit ? '已达上限：其余新闻改用本地抽取器。' : '达到上限后，其余新闻将改用本地抽取器。',
      ],
      detail: { period: b.period, periodKey: b.periodKey },
      page: '/admin/usage',
    });
  }
  return out;
}

/** Why an open incident's condition cleared, or null while it holds. */
async function clearedBecause(
  db: Db,
  row: OpsAlertRow,
  current: Set<string>,
  at: Date,
  tz: string,
): Promise<string | null> {
  if (current.has(row.key)) return null;
  switch (row.kind) {
    case 'edition-late': {
      const date = String(row.detail.date);
      const edition = await editionsQ.findEditionByDate(db, date);
      if (edition && DELIVERED.has(edition.status)) return '已送达';
      const later = (await editionsQ.listEditions(db, 10)).find(
        (e) => e.date > date && e.deliveredAt && DELIVERED.has(e.status),
      );
      return later ? `之后的日报 ${later.date} 已送达` : null;
    }
    case 'source-failing': {
      const health = await opsQ.sourceHealth(db, Number(row.detail.sourceId));
      if (!health) return '信源已删除';
      if (!health.enabled) return '信源已停用';
      const was = row.detail.lastSuccessAt ? Date.parse(String(row.detail.lastSuccessAt)) : -Infinity;
      if (health.lastSuccessAt && health.lastSuccessAt.getTime() > was) return '已恢复抓取';
      return null;
    }
    case 'llm-budget': {
      const day = dateInZone(at, tz);
      const now = row.detail.period === 'day' ? day : day.slice(0, 7);
      if (row.detail.periodKey !== now)
        return row.detail.period === 'day' ? '新的一天，费用重新计算' : '新的月份，费用重新计算';
      return '费用已低于告警阈值（预算已调整）';
    }
  }
  return null;
}

/** How an incident stored before reads again (a push taken over from a process that died). */
function storedIncident(row: OpsAlertRow): Incident {
  const page =
    row.kind === 'edition-late'
      ? '/runs'
      : row.kind === 'source-failing'
        ? `/sources/${row.detail.sourceId}`
        : '/admin/usage';
  return {
    key: row.key,
    kind: row.kind,
    severity: row.severity === 'critical' ? 'critical' : 'warning',
    subject: row.subject,
    title: row.subject,
    message: row.message,
    lines: [row.message],
    detail: row.detail,
    page,
  };
}

/** The targets of one check: the channels opened once, the mail transport opened when first needed. */
class Pusher {
  private mailer: OpenedMailer | null | undefined;
  private readonly openChannel: ReturnType<typeof storedChannels>;

  constructor(
    private readonly deps: OpsAlertDeps,
    private readonly config: Config,
    private readonly now: () => Date,
  ) {
    this.openChannel = storedChannels(deps.db, deps.secret);
  }

  lease(): { leaseOwner: string; leaseExpiresAt: Date } {
    return {
      leaseOwner: this.deps.worker,
      leaseExpiresAt: new Date(this.now().getTime() + (this.deps.leaseMs ?? 600_000)),
    };
  }

  /** The opening push of a claimed incident; its outcome recorded target by target. */
  async open(id: number, incident: Incident): Promise<string> {
    const { db } = this.deps;
    await opsQ.setOpsAlert(db, id, { status: 'sending', ...this.lease() }, this.now());
    const targets: OpsAlertTarget[] = [];
    const digest = this.digest(incident.severity, `[运维告警] ${incident.title}`, incident.lines, incident.page);
    await this.pushAll(digest, incident.message, incident.key, targets, (t) =>
      opsQ.setOpsAlert(db, id, { targets: t }, this.now()),
    );
    const status = finalStatus(targets);
    const failed = targets.filter((t) => t.status !== 'sent').length;
    await opsQ.setOpsAlert(
      db,
      id,
      {
        status,
        reason: failed > 0 ? `${failed} of ${targets.length} targets not reached` : null,
        targets,
        leaseOwner: null,
        leaseExpiresAt: null,
      },
      this.now(),
    );
    this.deps.log.warn({ key: incident.key, status, targets: targets.length }, 'ops alert pushed');
    return status;
  }

  /** The one resolved message of an incident whose condition cleared. */
  async resolve(row: OpsAlertRow, why: string): Promise<string> {
    const { db } = this.deps;
    const targets: OpsAlertTarget[] = [];
    const title = `[已恢复] ${row.subject}：${why}`;
    const lines = [
      `${KIND_LABEL[row.kind] ?? row.kind}：${row.subject}，${why}。`,
      `告警于 ${fmtTime(row.openedAt, this.config.timeZone)} 发出。`,
    ];
    const page = storedIncident(row).page;
    await this.pushAll(
      this.digest('resolved', title, lines, page),
      lines.join('\n'),
      `${row.key}:resolved`,
      targets,
      (t) => opsQ.setOpsAlert(db, row.id, { resolveTargets: t }, this.now()),
    );
    const status = finalStatus(targets);
    await opsQ.setOpsAlert(
      db,
      row.id,
      { resolveStatus: status, resolveTargets: targets, leaseOwner: null, leaseExpiresAt: null },
      this.now(),
    );
    this.deps.log.info({ key: row.key, status }, 'ops alert resolved');
    return status;
  }

  async close(): Promise<void> {
    await this.mailer?.close();
  }

  private digest(severity: OpsSeverity, title: string, lines: string[], page: string): ChannelDigest {
    return {
      kind: 'ops',
      title,
      edition: null,
      webViewUrl: consoleUrl(this.config.report.publicBaseUrl, page),
      items: [],
      ops: { severity, lines },
    };
  }

  /** Every channel of OPS_ALERT_CHANNELS, then every address of OPS_ALERT_MAIL; a failure never stops the rest. */
  private async pushAll(
    digest: ChannelDigest,
    text: string,
    key: string,
    targets: OpsAlertTarget[],
    save: (targets: OpsAlertTarget[]) => Promise<void>,
  ): Promise<void> {
    const record = async (o: Omit<OpsAlertTarget, 'at'>) => {
      targets.push({ ...o, at: this.now().toISOString() });
      await save(targets);
    };
    const names = this.config.opsAlerts.channels;
    const known = await channelsNamed(this.deps.db, names);
    const pushDeps = {
      openChannel: this.openChannel,
      now: this.now,
      log: this.deps.log,
      retryDelayMs: this.deps.retryDelayMs,
    };
    for (const name of names) {
      const channel = known.find((c) => c.name === name);
      if (!channel) await record({ target: `channel:${name}`, status: 'failed', error: 'no channel of this name' });
      else await record(await pushChannel(pushDeps, channel.id, digest));
    }
    for (const address of this.config.opsAlerts.mail) await record(await this.mail(address, digest, text, key));
  }

  private async mail(
    address: string,
    digest: ChannelDigest,
    text: string,
    key: string,
  ): Promise<Omit<OpsAlertTarget, 'at'>> {
    const target = `mail:${address}`;
    try {
      if (this.mailer === undefined) this.mailer = await this.deps.openMailer();
      if (!this.mailer) return { target, status: 'failed', error: 'no mailer' };
      const from = { address: this.config.smtp.from, name: this.config.smtp.fromName };
      const res = await this.mailer.mailer.send(opsMail({ digest, text, key, to: address, from, now: this.now() }));
      return { target, status: res.accepted ? 'sent' : 'failed', error: res.accepted ? null : res.response };
    } catch (err) {
      const uncertain = (err as { uncertain?: boolean }).uncertain === true;
      return { target, status: uncertain ? 'uncertain' : 'failed', error: (err as Error).message.slice(0, 500) };
    }
  }
}

/** `PUBLIC_BASE_URL` + `page`, or null without it. */
function consoleUrl(base: string | null, page: string): string | null {
  if (!base) return null;
  return safeHttpUrl(`${base.replace(/\/+$/, '')}${page}`);
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The short mail of an operational alert: the title as subject, the lines, the console link. */
export function opsMail(input: {
  digest: ChannelDigest;
  text: string;
  key: string;
  to: string;
  from: { address: string; name: string };
  now: Date;
}): MailMessage {
  const { digest } = input;
  const subject = digest.title.replace(/[\r\n]+/g, ' ').slice(0, 200);
  const lines = digest.ops?.lines ?? [input.text];
  const url = digest.webViewUrl;
  const colour = { critical: '#b91c1c', warning: '#b45309', resolved: '#15803d' }[digest.ops?.severity ?? 'warning'];
  const html = [
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>',
    esc(subject),
    '</title></head><body style="font-family:sans-serif;line-height:1.5">',
    `<p style="margin:0 0 8px;color:${colour};font-weight:bold">${esc(subject)}</p>`,
    ...lines.map((l) => `<p style="margin:0 0 6px">${esc(l)}</p>`),
    url ? `<p style="margin:8px 0 0"><a href="${esc(url)}">打开控制台</a></p>` : '',
    '</body></html>',
  ].join('');
  const domain = domainToASCII(input.from.address.split('@')[1] ?? 'localhost') || 'localhost';
  return {
    to: { address: input.to, name: null },
    from: input.from,
    subject,
    html,
    text: `${[subject, '', ...lines, ...(url ? ['', url] : [])].join('\n')}\n`,
    attachments: [],
    headers: { 'X-Finrep-Ops-Alert': encodeURIComponent(input.key), 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
    messageId: newMessageId(`ops-${input.key.replace(/[^A-Za-z0-9.-]/g, '-')}`, domain),
    date: input.now,
  };
}
