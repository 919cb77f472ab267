/**
 * The intraday alert run, top to bottom: collect → dedup → extract (the edition's own phases and jobs, for
 * the window of the next edition, so its stories and extractions are reused there) → evaluate every enabled
 * rule on the stories first seen lately → push each match once. It composes and delivers nothing: the run
 * is recorded with trigger `alerts` and its own `alerts` stage on the runs page.
 */
import { effectiveConfig } from '../config/overrides.ts';
import type { Config } from '../config/index.ts';
import { alertsQ, editionsQ, runsQ } from '../db/queries/index.ts';
import { dateInZone } from '../lib/time.ts';
import { collectPhase } from '../pipeline/phases/collect.ts';
import { dedupPhase } from '../pipeline/phases/dedup.ts';
import { extractPhase } from '../pipeline/phases/extract.ts';
import type { EditionJob, JobHandle } from '../pipeline/queue.ts';
import { windowOf } from '../pipeline/run.ts';
import type { EditionDeps, EditionRun } from '../pipeline/run.ts';
import { Stages } from '../pipeline/stages.ts';
import { matchRule } from './match.ts';
import { pushClaimed, pushMatch } from './push.ts';
import type { AlertPushDeps, PushOutcome } from './push.ts';
import { eventText } from '../pipeline/event-texts.ts';

/** Triggers of alert runs: the schedule's, and `finrep alerts run`'s. */
export const ALERT_TRIGGERS = ['alerts'] as const;

/** Whether an `edition` queue job is an alert run (the alert schedule puts its jobs on that queue). */
export const isAlertJob = (data: Partial<EditionJob> | undefined): boolean => data?.trigger === 'alerts';

/** What one evaluation found and did. */
export interface AlertCounts {
  rules: number;
  stories: number;
  matched: number;
  sent: number;
  failed: number;
  uncertain: number;
  suppressed: number;
  /** Matches another run had already claimed. */
  duplicate: number;
  /** Rows left `sending` by a process that died, marked uncertain by this run. */
  recovered_uncertain: number;
}

/** The edition whose window holds `now`: today's before its cut-off, tomorrow's after it. */
export function nextEditionDate(config: Config, now: Date): string {
  const today = dateInZone(now, config.timeZone);
  if (now.getTime() < windowOf(config, today).to.getTime()) return today;
  return dateInZone(new Date(now.getTime() + 24 * 3_600_000), config.timeZone);
}

/**
 * Rules on the stories first seen in the last `lookbackHours` (and not before the rule was made: a new rule
 * does not alert on old news), each match pushed once. Alerts a dead process left `sending` become
 * `uncertain`; those it claimed and never began are pushed now.
 */
export async function evaluateAlerts(deps: AlertPushDeps, opts: { lookbackHours: number }): Promise<AlertCounts> {
  const counts: AlertCounts = {
    rules: 0,
    stories: 0,
    matched: 0,
    sent: 0,
    failed: 0,
    uncertain: 0,
    suppressed: 0,
    duplicate: 0,
    recovered_uncertain: 0,
  };
  const tally = (o: PushOutcome) => void (counts[o] += 1);
  const stale = await alertsQ.recoverStaleAlerts(deps.db, deps.now());
  counts.recovered_uncertain = stale.uncertain;
  if (stale.uncertain > 0) deps.log.warn({ alerts: stale.uncertain }, 'alerts left mid-push marked uncertain');
  const rules = await alertsQ.listEnabledRules(deps.db);
  counts.rules = rules.length;
  for (const id of stale.queued) await resumeQueued(deps, id, rules).then((o) => o && tally(o));
  if (rules.length === 0) return counts;
  const since = new Date(deps.now().getTime() - opts.lookbackHours * 3_600_000);
  const stories = await alertsQ.storiesSince(deps.db, since);
  counts.stories = stories.length;
  for (const rule of rules)
    for (const story of stories) {
      if (story.firstSeenAt.getTime() < rule.createdAt.getTime()) continue;
      const hits = matchRule(rule, { title: story.title, extraction: story.extraction });
      if (!hits) continue;
      counts.matched++;
      tally(await pushMatch(deps, rule, story, hits));
    }
  return counts;
}

/** A row claimed by a run that died before pushing anything: taken over and pushed. */
async function resumeQueued(
  deps: AlertPushDeps,
  id: number,
  rules: Awaited<ReturnType<typeof alertsQ.listEnabledRules>>,
): Promise<PushOutcome | null> {
  const now = deps.now();
  const until = new Date(now.getTime() + (deps.leaseMs ?? 600_000));
  if (!(await alertsQ.takeQueuedAlert(deps.db, id, deps.worker, until, now))) return null;
  const row = await alertsQ.getAlert(deps.db, id);
  const rule = rules.find((r) => r.id === row?.ruleId);
  const [story] = row ? await alertsQ.storiesByIds(deps.db, [row.storyId]) : [];
  if (!row || !rule || !story) {
    await alertsQ.setAlert(deps.db, id, { status: 'failed', reason: 'rule disabled or story gone before the push' });
    return 'failed';
  }
  const hits = matchRule(rule, { title: story.title, extraction: story.extraction }) ?? [];
  return pushClaimed(deps, id, rule, story, hits, row.day);
}

/** What an alert run needs: the orchestrator's dependencies (queue, clock) and the pusher's (channels, mail). */
export type AlertRunDeps = EditionDeps &
  Omit<AlertPushDeps, 'db' | 'log' | 'now' | 'timeZone' | 'worker'> & {
    /** How often the run renews its lease. @defaultValue {@link alertsQ.ALERT_RUN_HEARTBEAT_MS} */
    heartbeatMs?: number;
  };

/** The summary of an alert run (the run record's, and `finrep alerts run --json`). */
export interface AlertRunSummary {
  run_id: number;
  edition: string;
  status: 'ok' | 'partial';
  collect: { sources: number; new_articles: number; failed_sources: number };
  stories: number;
  alerts: AlertCounts;
}

/** An alert run that did not start: another was live (`run_id` is that one). */
export interface SkippedAlertRun {
  skipped: string;
  run_id: number;
}

export const isSkippedAlertRun = (r: AlertRunSummary | SkippedAlertRun): r is SkippedAlertRun => 'skipped' in r;

/**
 * One alert run (an `edition` queue job with trigger `alerts`, or `finrep alerts run`): the edition's
 * collect, dedup and extract phases for the next edition's window, then the rules. One at a time: while
 * another alert run is live (its process renews its lease, {@link alertsQ.ALERT_RUN_LEASE_MS}, every
 * `heartbeatMs`) a new one starts nothing, leaves an `alert_run_skips` row and returns why it skipped; a
 * resumed job (with its `runId`) goes on.
 *
 * @example const summary = await runAlertPipeline(deps, { date: nextEditionDate(config, now()), trigger: 'alerts' });
 */
export async function runAlertPipeline(
  envDeps: AlertRunDeps,
  input: EditionJob,
  job?: JobHandle<EditionJob>,
): Promise<AlertRunSummary | SkippedAlertRun> {
  const deps = { ...envDeps, config: await effectiveConfig(envDeps.db, envDeps.config) };
  const run = await openAlertRun(deps, input, job);
  if ('activeRunId' in run) {
    const since = run.startedAt.toISOString();
    deps.log.info({ run_id: run.activeRunId, worker: run.worker }, 'alert run skipped: another is still running');
    return {
      skipped: `alert run ${run.activeRunId} is still running (${run.worker ?? 'unknown worker'}, since ${since})`,
      run_id: run.activeRunId,
    };
  }
  const stopHeartbeat = keepLive(deps, run.runId);
  try {
    await collectPhase(deps, run);
    await dedupPhase(deps, run);
    const extracted = await extractPhase(deps, run);
    const push: AlertPushDeps = { ...deps, timeZone: deps.config.timeZone };
    const alerts = await run.stages.run(
      'alerts',
      () => evaluateAlerts(push, { lookbackHours: deps.config.alerts.lookbackHours }),
      (c) =>
        eventText('alerts.done', {
          rules: c.rules,
          matched: c.matched,
          sent: c.sent,
          suppressed: c.suppressed,
          failed: c.failed,
        }),
    );
    const fetches = await runsQ.runFetches(deps.db, run.runId);
    const failedSources = fetches.filter((f) => f.status === 'failed').length;
    const summary: AlertRunSummary = {
      run_id: run.runId,
      edition: run.data.date,
      status: failedSources > 0 || alerts.failed > 0 || alerts.uncertain > 0 ? 'partial' : 'ok',
      collect: {
        sources: run.sources.length,
        new_articles: fetches.reduce((n, f) => n + f.newItems, 0),
        failed_sources: failedSources,
      },
      stories: extracted.stories.length,
      alerts,
    };
    await runsQ.finishRun(deps.db, run.runId, summary.status, summary as unknown as Record<string, unknown>, null);
    await run.stages.event(null, 'info', eventText('run.finished', { status: summary.status }));
    return summary;
  } catch (err) {
    if (job?.signal.aborted) throw err;
    await run.stages.failOpen(err);
    await runsQ.finishRun(deps.db, run.runId, 'failed', {}, (err as Error).message).catch(() => {});
    throw err;
  } finally {
    stopHeartbeat();
  }
}

/**
 * Keeps an alert run live while this process works on it, however long a stage stays silent: renews its
 * lease now (a resumed run's too) and every `heartbeatMs` until the returned stop is called. A renewal that
 * fails is logged and tried again at the next beat; a process that dies renews nothing, and its run stops
 * blocking when the lease runs out.
 */
function keepLive(deps: AlertRunDeps, runId: number): () => void {
  const renew = () =>
    alertsQ
      .renewAlertRun(deps.db, runId)
      .catch((err: unknown) => deps.log.warn({ run_id: runId, err }, 'alert run lease renewal failed'));
  void renew();
  const timer = setInterval(() => void renew(), deps.heartbeatMs ?? alertsQ.ALERT_RUN_HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The run record of an alert job (found again when another worker resumes it). Unlike an edition's, it
 * leaves the edition's status alone: the edition is only the window the stories belong to.
 */
async function openAlertRun(
  deps: EditionDeps,
  input: EditionJob,
  job?: JobHandle<EditionJob>,
): Promise<EditionRun | { activeRunId: number; worker: string | null; startedAt: Date }> {
  const { db, config } = deps;
  let data: EditionJob = { ...input };
  const save = async (patch: Partial<EditionJob>) => {
    data = { ...data, ...patch };
    await job?.updateData(data);
  };
  const window = windowOf(config, data.date);
  const edition = await editionsQ.ensureEdition(db, data.date, window.from, window.to);
  const record = { worker: deps.worker, jobId: job?.id ?? null, deadlineAt: null };
  if (data.runId === undefined) {
    const claim = await alertsQ.claimAlertRun(db, edition.id, { worker: deps.worker, jobId: record.jobId });
    if ('activeRunId' in claim) return claim;
    await save({ runId: claim.runId });
  } else await runsQ.touchRun(db, data.runId, record);
  const runId = data.runId!;
  return {
    get data() {
      return { ...data, runId };
    },
    job,
    editionId: edition.id,
    runId,
    window,
    stages: new Stages(db, runId, deps.log, deps.progress),
    deadline: null,
    degraded: [],
    cutOff: null,
    sources: data.sources ?? [],
    collected: [],
    dedup: { unique: 0, nearDuplicates: 0 },
    extractIds: new Set(),
    save,
  };
}
