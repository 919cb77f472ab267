import type { Command } from 'commander';
import type { AlertRuleInput } from '../alerts/rules.ts';
import type { AlertRunSkipRow } from '../db/queries/alerts.ts';
import type { AlertSentiment } from '../db/schema/index.ts';
import { CliError } from './errors.ts';
import { createContext, createMailer, openDb, signingSecret, withDatabase } from './context.ts';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const split = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(/[,，]/)
        .map((s) => s.trim())
        .filter(Boolean);

interface RuleFlags {
  tickers?: string;
  companies?: string;
  keywords?: string;
  minImportance?: string;
  sentiment?: string;
  channels?: string;
  mailGroups?: string;
  quiet?: string;
  dailyCap?: string;
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new CliError(`${flag}: expected a whole number, got "${v}"`);
  return Number(v);
}

/** The command's flags as a rule input (the store checks the values and names the field). */
function ruleInput(name: string, f: RuleFlags): AlertRuleInput {
  const sentiment = f.sentiment === undefined || f.sentiment === 'any' ? undefined : (f.sentiment as AlertSentiment);
  return {
    name,
    tickers: split(f.tickers),
    companies: split(f.companies),
    keywords: split(f.keywords),
    minImportance: int('--min-importance', f.minImportance),
    sentiment,
    channels: split(f.channels),
    mailGroups: split(f.mailGroups),
    quiet: f.quiet,
    dailyCap: int('--daily-cap', f.dailyCap),
  };
}

const FLAG_OF: Record<string, string> = {
  name: 'NAME',
  tickers: '--tickers',
  companies: '--companies',
  keywords: '--keywords',
  min_importance: '--min-importance',
  sentiment: '--sentiment',
  channels: '--channels',
  mail_groups: '--mail-groups',
  quiet: '--quiet',
  daily_cap: '--daily-cap',
};

/** A refused rule as one line naming the flag. */
async function asCliError<T>(fn: () => Promise<T>): Promise<T> {
  const { AlertRuleInputError } = await import('../alerts/rules.ts');
  return fn().catch((e: unknown) => {
    if (e instanceof AlertRuleInputError)
      throw new CliError(`${FLAG_OF[e.field] ?? e.field}: ${e.message.slice(e.field.length + 2)}`);
    throw e;
  });
}

function describe(r: {
  name: string;
  enabled: boolean;
  tickers: string[];
  companies: string[];
  keywords: string[];
  minImportance: number;
  sentiment: string | null;
  channels: string[];
  mailGroups: string[];
  quietFrom: string | null;
  quietTo: string | null;
  dailyCap: number;
}): string {
  const what = [...r.tickers, ...r.companies, ...r.keywords].join(',') || '(any story)';
  const to = [...r.channels.map((c) => `#${c}`), ...r.mailGroups.map((g) => `mail:${g}`)].join(',');
  const quiet = r.quietFrom ? `  quiet ${r.quietFrom}-${r.quietTo}` : '';
  return `${r.enabled ? ' ' : '-'} ${r.name}  ${what}  importance≥${r.minImportance}${r.sentiment ? `  ${r.sentiment}` : ''}  → ${to}  cap ${r.dailyCap}/day${quiet}`;
}

function ruleOptions(cmd: Command): Command {
  return cmd
    .option('--tickers <list>', 'tickers, comma-separated (600519, 600519.SH, 0700.HK, AAPL)')
    .option('--companies <list>', 'company names, comma-separated')
    .option('--keywords <list>', 'keywords in the title or summary, comma-separated (case-insensitive)')
    .option('--min-importance <n>', 'minimum importance, 1–5 (0: any)')
    .option('--sentiment <s>', 'positive, neutral, negative (or any)')
    .option('--channels <list>', 'channel names to push to, comma-separated')
    .option('--mail-groups <list>', 'recipient groups to mail, comma-separated; * for every active recipient')
    .option('--quiet <HH:MM-HH:MM>', 'quiet hours in TZ (may wrap midnight, e.g. 22:00-07:00); off for none')
    .option('--daily-cap <n>', 'alerts per local day, at most (default 20)');
}

/** One skipped alert run: when, the run that held it off, and who fired it. */
function skipLine(k: AlertRunSkipRow): string {
  const holder = `${k.holder.worker ?? 'not picked up yet'}, started ${k.holder.startedAt.toISOString()}, ${k.holder.status} now`;
  const by = k.worker ?? 'finrep alerts run (queued)';
  return `${k.at.toISOString()}  skipped    held off by run ${k.runId} (${holder}); fired by ${by}${k.jobId ? ` job ${k.jobId}` : ''}`;
}

/** `finrep alerts add|update|list|remove|run|log`: intraday watch-list alerts (docs/alerts.md). */
export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('intraday watch-list alerts: rules, a run now, the alert log (docs/alerts.md)');

  ruleOptions(alerts.command('add').description('add an alert rule').argument('<name>', 'rule name')).action(
    async (name: string, flags: RuleFlags) => {
      const { addRule } = await import('../alerts/rules.ts');
      const rule = await withDatabase((database) => asCliError(() => addRule(database.db, ruleInput(name, flags))));
      out(`added: ${describe(rule)}`);
    },
  );

  ruleOptions(
    alerts
      .command('update')
      .description('change an alert rule (only the options given)')
      .argument('<name>', 'rule name')
      .option('--enable', 'turn the rule on')
      .option('--disable', 'turn the rule off'),
  ).action(async (name: string, flags: RuleFlags & { enable?: boolean; disable?: boolean }) => {
    const { updateRule } = await import('../alerts/rules.ts');
    const input = { ...ruleInput(name, flags), name: undefined };
    if (flags.enable || flags.disable) input.enabled = flags.enable === true;
    const rule = await withDatabase((database) => asCliError(() => updateRule(database.db, name, input)));
    out(`updated: ${describe(rule)}`);
  });

  alerts
    .command('list')
    .description('list the alert rules')
    .option('--json', 'JSON output')
    .action(async (flags: { json?: boolean }) => {
      const { listRules } = await import('../alerts/rules.ts');
      const rules = await withDatabase((database) => listRules(database.db));
      if (flags.json)
        return out(
          JSON.stringify(
            rules.map((r) => ({
              name: r.name,
              enabled: r.enabled,
              tickers: r.tickers,
              companies: r.companies,
              keywords: r.keywords,
              min_importance: r.minImportance,
              sentiment: r.sentiment,
              channels: r.channels,
              mail_groups: r.mailGroups,
              quiet: r.quietFrom ? `${r.quietFrom}-${r.quietTo}` : null,
              daily_cap: r.dailyCap,
              created_at: r.createdAt,
            })),
          ),
        );
      if (rules.length === 0) return out('no alert rules (add one: finrep alerts add NAME --tickers … --channels …)');
      for (const r of rules) out(describe(r));
    });

  alerts
    .command('remove')
    .description('remove an alert rule and its alert log')
    .argument('<name>', 'rule name')
    .action(async (name: string) => {
      const { removeRule } = await import('../alerts/rules.ts');
      await withDatabase((database) => asCliError(() => removeRule(database.db, name)));
      out(`removed: ${name}`);
    });

  alerts
    .command('run')
    .description(
      'one alert run now: collect, dedup, extract, then every enabled rule — on the workers with REDIS_URL, else in this process',
    )
    .option('--local', 'run it in this process even with REDIS_URL set')
    .option('--json', 'print the run summary (with its run_id) as JSON')
    .action(async (flags: { json?: boolean; local?: boolean }) => {
      const ctx = await createContext({ level: 'warn' });
      const database = await openDb(ctx);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      try {
        const queued = ctx.config.redisUrl !== null && !flags.local;
        if (queued) say('alert run · jobs on Redis (finrep worker)');
        const result = queued
          ? await (
              await import('../jobs/client.ts')
            ).runAlertsViaQueue({
              db: database.db,
              config: ctx.config,
              log: ctx.log,
              progress: say,
            })
          : await (
              await import('../alerts/local.ts')
            ).runAlertsNow({
              db: database.db,
              config: ctx.config,
              log: ctx.log,
              secret: signingSecret(ctx.config),
              openMailer: async (folder) => {
                const mailer = await createMailer(ctx, folder);
                return { mailer, close: () => mailer.close() };
              },
            });
        if (flags.json) return out(JSON.stringify(result));
        if ('skipped' in result) return out(`skipped: ${result.skipped} — recorded (finrep alerts log --skipped)`);
        const a = result.alerts;
        out(
          `run ${result.run_id} (${result.status}): ${result.collect.sources} sources, ${result.collect.new_articles} new articles; ` +
            `${a.rules} rules, ${a.matched} matches → ${a.sent} sent, ${a.suppressed} suppressed, ${a.failed} failed, ` +
            `${a.uncertain} uncertain, ${a.duplicate} already alerted`,
        );
      } finally {
        await database.close();
      }
    });

  alerts
    .command('log')
    .description('recent alerts, newest first; then the newest alert runs skipped while another was live')
    .option('--rule <name>', 'only this rule')
    .option('--skipped', 'only the alert runs skipped while another was live')
    .option('--limit <n>', 'how many (default 50)')
    .option('--json', 'JSON output')
    .action(async (flags: { rule?: string; skipped?: boolean; limit?: string; json?: boolean }) => {
      const limit = int('--limit', flags.limit) ?? 50;
      if (limit < 1 || limit > 1000) throw new CliError('--limit: expected 1 to 1000');
      const { alertsQ } = await import('../db/queries/index.ts');
      if (flags.skipped) {
        const skips = await withDatabase((database) => alertsQ.recentAlertRunSkips(database.db, limit));
        if (flags.json) return out(JSON.stringify(skips));
        if (skips.length === 0) return out('no alert run skipped');
        for (const k of skips) out(skipLine(k));
        return;
      }
      const [rows, skips] = await withDatabase(async (database) => {
        let ruleId: number | undefined;
        if (flags.rule !== undefined) {
          const rule = await alertsQ.getRuleByName(database.db, flags.rule);
          if (!rule) throw new CliError(`--rule: no rule named ${flags.rule}`);
          ruleId = rule.id;
        }
        const skipped = ruleId === undefined ? await alertsQ.recentAlertRunSkips(database.db, 3) : [];
        return [await alertsQ.listAlertLog(database.db, { ruleId, limit }), skipped] as const;
      });
      if (flags.json) return out(JSON.stringify(rows));
      if (rows.length === 0) out('no alerts yet');
      for (const r of rows) {
        const reached = r.targets.filter((t) => t.status === 'sent').length;
        out(
          `${r.createdAt.toISOString()}  ${r.status.padEnd(10)} ${r.rule}  ${r.title}  ` +
            `(${reached}/${r.targets.length} targets${r.reason ? `; ${r.reason}` : ''})`,
        );
      }
      if (skips.length === 0) return;
      out('');
      out('alert runs skipped while another was live (newest; all: --skipped):');
      for (const k of skips) out(skipLine(k));
    });

  const ops = alerts
    .command('ops')
    .description('operational alerts (edition late, source failing, LLM budget): recent incidents, newest first')
    .option('--limit <n>', 'how many (default 50)')
    .option('--json', 'JSON output')
    .action(async (flags: { limit?: string; json?: boolean }) => {
      const limit = int('--limit', flags.limit) ?? 50;
      if (limit < 1 || limit > 1000) throw new CliError('--limit: expected 1 to 1000');
      const { listOpsAlerts } = await import('../db/queries/ops-alerts.ts');
      const rows = await withDatabase((database) => listOpsAlerts(database.db, limit));
      if (flags.json) return out(JSON.stringify(rows));
      if (rows.length === 0) return out('no operational alerts yet');
      for (const r of rows) {
        const reached = r.targets.filter((t) => t.status === 'sent').length;
        const resolved = r.resolvedAt ? `resolved ${r.resolvedAt.toISOString()} (${r.resolveStatus})` : 'open';
        out(
          `${r.openedAt.toISOString()}  ${r.status.padEnd(10)} ${r.key}  ${r.subject}  ${resolved}  ` +
            `(${reached}/${r.targets.length} targets${r.reason ? `; ${r.reason}` : ''})`,
        );
      }
    });

  ops
    .command('check')
    .description('check the operational alerts now, in this process: push new incidents and resolved ones')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      // `--json` after `check` may be read as the parent's (`finrep alerts ops --json`): either counts.
      const json = flags.json === true || cmd.parent?.opts<{ json?: boolean }>().json === true;
      const ctx = await createContext({ level: 'warn' });
      const database = await openDb(ctx);
      try {
        const [{ checkOpsAlerts }, { WORKER_ID }] = await Promise.all([
          import('../ops/ops-alerts.ts'),
          import('../jobs/process.ts'),
        ]);
        const summary = await checkOpsAlerts({
          db: database.db,
          config: ctx.config,
          log: ctx.log,
          worker: WORKER_ID,
          secret: signingSecret(ctx.config),
          openMailer: async () => {
            const mailer = await createMailer(ctx, 'ops-alerts');
            return { mailer, close: () => mailer.close() };
          },
        });
        if (json) return out(JSON.stringify(summary));
        if (summary.skipped) return out('skipped: OPS_ALERT_CHANNELS and OPS_ALERT_MAIL are both empty');
        for (const o of summary.opened) out(`opened   ${o.key}: ${o.status}`);
        for (const r of summary.resolved) out(`resolved ${r.key}: ${r.status}`);
        out(`${summary.opened.length} opened, ${summary.resolved.length} resolved, ${summary.open} still open`);
      } finally {
        await database.close();
      }
    });
}
