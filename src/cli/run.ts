import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isIsoDate } from '../lib/time.ts';
import { todayEdition, editionWindow } from '../pipeline/window.ts';
import type { DemoWorld } from '../demo/index.ts';
import { CliError, oneLine, withoutParams } from './errors.ts';
import { createContext, createMailer, openDb, signingSecret } from './context.ts';
import type { Context } from './context.ts';
import type { Db } from '../db/client.ts';

interface RunFlags {
  date?: string;
  demo?: boolean;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
  groups?: string;
}

/** `finrep run`: one edition now. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run one edition now: collect → dedup → extract → score → compose → deliver')
    .option('--date <YYYY-MM-DD>', 'edition date (default: today in TZ)')
    .option('--demo', 'use the bundled demo world (seeded into an empty database)')
    .option('--dry-run', 'compose everything without sending')
    .option('--json', 'print the run summary as one JSON object on stdout')
    .option('--groups <list>', 'send only to recipients in these groups (comma-separated)')
    .option('-v, --verbose', 'log at LOG_LEVEL instead of warnings only')
    .action(async (flags: RunFlags) => {
      const ctx = await createContext({ level: flags.verbose ? undefined : 'warn' });
      const now = new Date();
      const date = flags.date ?? todayEdition(now, ctx.config.timeZone);
      if (!isIsoDate(date)) throw new CliError(`--date: expected YYYY-MM-DD, got "${date}"`);
      // A stage's error arrives as its message: one line, without the parameters of a failed statement.
      const say = (line: string) => process.stderr.write(`${oneLine(withoutParams(line))}\n`);
      const database = await openDb(ctx);
      let world: DemoWorld | null = null;
      try {
        let sourceKeys: string[] | undefined;
        if (flags.demo) {
          world = await startDemo(ctx, date, now);
          sourceKeys = await seedDemo(database.db, world);
          say(`demo world on ${world.baseUrl} (${world.sources.length} sources)`);
        }
        const queued = ctx.config.redisUrl !== null;
        const mailer = flags.dryRun || queued ? null : await createMailer(ctx, date);
        say(
          `edition ${date} · database ${database.kind} · ${queued ? 'jobs on Redis (finrep worker)' : `mail ${mailer ? mailer.kind : 'dry run'}`}`,
        );
        try {
          const trigger = flags.demo ? 'cli-demo' : 'cli';
          const groups = parseGroups(flags.groups);
          const deps = { db: database.db, config: ctx.config, log: ctx.log, progress: say };
          // Only the path taken is loaded: queuing needs BullMQ, running in process the stages (React, jieba, exceljs …).
          const summary = queued
            ? await (
                await import('../jobs/client.ts')
              ).runEditionViaQueue(deps, {
                date,
                dryRun: flags.dryRun,
                trigger,
                sourceKeys: sourceKeys ?? null,
                groups: groups ?? null,
              })
            : await (
                await import('../jobs/embedded.ts')
              ).runEdition(
                { ...deps, now: () => new Date(), mailer, secret: signingSecret(ctx.config) },
                { date, dryRun: flags.dryRun, trigger, sourceKeys, groups },
              );
          say(`report: ${summary.report.html}`);
          say(`email:  ${summary.report.email_html}`);
          say(`excel:  ${summary.report.xlsx}`);
          if (mailer?.kind === 'outbox' || (queued && !ctx.config.smtp.host && !flags.dryRun))
            say(`mail:   ${path.join(ctx.config.dataDir, 'outbox', date)}/ (${summary.deliver.sent} new .eml files)`);
          if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          if (summary.deliver.error) process.exitCode = 1;
        } finally {
          await mailer?.close();
        }
      } finally {
        await world?.close();
        await database.close();
      }
    });
}

/** Starts the demo world on the port it had last time (so article URLs stay the same across runs). */
async function startDemo(ctx: Context, date: string, now: Date): Promise<DemoWorld> {
  const { to } = editionWindow(date, {
    timeZone: ctx.config.timeZone,
    cutoff: ctx.config.report.cutoff,
    windowHours: ctx.config.report.windowHours,
  });
  const anchor = to.getTime() < now.getTime() ? to : now;
  const stateFile = path.join(ctx.config.dataDir, 'demo-world.json');
  let port: number | undefined;
  try {
    port = Number(JSON.parse(readFileSync(stateFile, 'utf8')).port) || undefined;
  } catch {
    /* first run */
  }
  const { startDemoWorld } = await import('../demo/index.ts');
  const world = await startDemoWorld({ anchor, port, timezone: ctx.config.timeZone });
  mkdirSync(ctx.config.dataDir, { recursive: true });
  writeFileSync(stateFile, JSON.stringify({ port: world.port }));
  return world;
}

/** Seeds (or re-points) the demo sources, and the demo recipients when there are none yet. */
export async function seedDemo(db: Db, world: DemoWorld): Promise<string[]> {
  const { recipientsQ, sourcesQ } = await import('../db/queries/index.ts');
  const seeds = world.sources.map((s) => ({ ...s, key: `demo:${s.key}`, allowPrivate: true }));
  await sourcesQ.upsertSources(db, seeds);
  if ((await recipientsQ.countRecipients(db)) === 0) await recipientsQ.upsertRecipients(db, world.recipients);
  return seeds.map((s) => s.key);
}

function parseGroups(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const groups = value
    .split(/[,，]/)
    .map((g) => g.trim())
    .filter(Boolean);
  if (groups.length === 0) throw new CliError('--groups: expected a comma-separated list of group names');
  return groups;
}
