import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ChannelKind, ChannelOptions } from '../db/schema/index.ts';
import type { ChannelSummary } from '../channels/run.ts';
import { isIsoDate } from '../lib/time.ts';
import { CliError } from './errors.ts';
import { createContext, openDb, signingSecret } from './context.ts';
import type { Context } from './context.ts';
import type { Database } from '../db/client.ts';

const list = (v: string | undefined) =>
  v
    ?.split(/[,，]/)
    .map((s) => s.trim())
    .filter(Boolean);

function edition(date: string): string {
  if (!isIsoDate(date)) throw new CliError(`--edition: expected YYYY-MM-DD, got "${date}"`);
  return date;
}

/** A secret or URL read from a file (a docker secret): its first line, trimmed. Never echoed. */
function fromFile(flag: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '');
  if (!line) throw new CliError(`${flag}: ${file} is empty`);
  return line.trim();
}

function maxItems(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CliError(`--max-items: expected a whole number, got "${v}"`);
  return n;
}

interface ChannelFlags {
  kind?: string;
  url?: string;
  urlFile?: string;
  secretFile?: string;
  secret?: boolean;
  group?: string;
  chatId?: string;
  keywords?: string;
  format?: string;
  maxItems?: number;
  enable?: boolean;
  disable?: boolean;
}

function url(flags: ChannelFlags): string | undefined {
  if (flags.url !== undefined && flags.urlFile !== undefined) throw new CliError('give --url or --url-file, not both');
  return flags.urlFile !== undefined ? fromFile('--url-file', flags.urlFile) : flags.url;
}

function options(flags: ChannelFlags): ChannelOptions | undefined {
  const o: ChannelOptions = {};
  if (flags.chatId !== undefined) o.chatId = flags.chatId;
  if (flags.keywords !== undefined) o.keywords = list(flags.keywords) ?? [];
  if (flags.format !== undefined) o.format = flags.format as 'json' | 'slack';
  if (flags.maxItems !== undefined) o.maxItems = flags.maxItems;
  return Object.keys(o).length > 0 ? o : undefined;
}

const actor = async () => `cli:${(await import('node:os')).userInfo().username}`;

/** Runs `fn` with the database open and the store loaded; a store input error becomes an operator's line. */
async function withStore<T>(
  fn: (database: Database, ctx: Context, store: typeof import('../channels/store.ts'), secret: string) => Promise<T>,
  level = 'warn',
): Promise<T> {
  const ctx = await createContext({ level });
  const [database, store] = await Promise.all([openDb(ctx), import('../channels/store.ts')]);
  try {
    return await fn(database, ctx, store, signingSecret(ctx.config));
  } catch (err) {
    if (err instanceof store.ChannelInputError) throw new CliError(`--${flagOf(err.field)}: ${err.message}`);
    if (err instanceof store.ChannelSealError) throw new CliError(err.message);
    throw err;
  } finally {
    await database.close();
  }
}

/** The CLI flag of a store field (`chatId` → `chat-id`). */
function flagOf(field: string): string {
  if (field === 'name') return 'name';
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function report(summary: ChannelSummary, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stderr.write(
      `${summary.channels} channels: ${summary.sent} sent, ${summary.failed} failed, ${summary.skipped} skipped, ` +
        `${summary.uncertain} uncertain, ${summary.retrying} waiting${summary.error ? `\nerror: ${summary.error}` : ''}\n`,
    );
  if (summary.error || summary.failed > 0) process.exitCode = 1;
}

async function sendEdition(
  ctx: Context,
  database: Database,
  secret: string,
  date: string,
  groups: string[] | undefined,
  only?: string[],
  concurrency?: number,
): Promise<ChannelSummary> {
  const { sendStoredChannels, ChannelRunError } = await import('../channels/run.ts');
  return sendStoredChannels(
    {
      db: database.db,
      log: ctx.log,
      secret,
      redisUrl: ctx.config.redisUrl,
      maxAttempts: ctx.config.mail.maxAttempts,
      ...(concurrency !== undefined && { concurrency }),
    },
    { date, groups: groups ?? null, ...(only && { only }) },
  ).catch((e: unknown) => {
    throw e instanceof ChannelRunError ? new CliError(e.message) : e;
  });
}

/**
 * `finrep channels add|update|list|test|remove|send|resend|log`: the chat channels (企业微信, 飞书, 钉钉,
 * Telegram, webhook) an edition goes to beside the mail (docs/channels.md, "Operating channels").
 */
export function registerChannels(program: Command): void {
  const channels = program
    .command('channels')
    .description('chat channels (wecom, feishu, dingtalk, telegram, webhook) the edition is pushed to');

  const withOptions = (c: Command) =>
    c
      .option('--url <url>', "the platform's whole webhook URL (stored sealed, shown redacted)")
      .option('--url-file <file>', 'read the webhook URL from a file (a docker secret)')
      .option('--secret-file <file>', 'feishu / dingtalk: read the signing secret from a file')
      .option('--group <group>', "follow this recipient group's editions (empty: every edition)")
      .option('--chat-id <id>', 'telegram: the chat to post to (-100… or @channel)')
      .option('--keywords <list>', "dingtalk: the robot's custom keywords (comma-separated)")
      .option('--format <format>', 'webhook: json (finrep document) or slack')
      .option('--max-items <n>', 'stories per edition message (1–50, default 10)', maxItems);

  withOptions(
    channels
      .command('add <name>')
      .description('add a channel')
      .requiredOption('--kind <kind>', 'wecom | feishu | dingtalk | telegram | webhook'),
  )
    .option('--disabled', 'add it disabled')
    .action(async (name: string, flags: ChannelFlags & { disabled?: boolean }) => {
      const u = url(flags);
      if (u === undefined) throw new CliError('--url or --url-file is required');
      await withStore(async ({ db }, _ctx, store, secret) => {
        const v = await store.addChannel(
          db,
          secret,
          {
            name,
            kind: flags.kind as ChannelKind,
            url: u,
            secret: flags.secretFile !== undefined ? fromFile('--secret-file', flags.secretFile) : null,
            group: flags.group ?? null,
            ...(options(flags) && { options: options(flags) }),
            enabled: !flags.disabled,
          },
          { actor: await actor() },
        );
        process.stderr.write(`added ${v.name} (${v.kind}, ${v.url}${v.group ? `, group ${v.group}` : ''})\n`);
      });
    });

  withOptions(channels.command('update <name>').description("change a channel (options given replace the channel's"))
    .option('--kind <kind>', 'wecom | feishu | dingtalk | telegram | webhook')
    .option('--rename <name>', 'a new name')
    .option('--no-secret', 'remove the signing secret')
    .option('--enable', 'enable the channel')
    .option('--disable', 'disable the channel (editions skip it)')
    .action(async (name: string, flags: ChannelFlags & { rename?: string }) => {
      if (flags.enable && flags.disable) throw new CliError('give --enable or --disable, not both');
      const u = url(flags);
      await withStore(async ({ db }, _ctx, store, secret) => {
        const v = await store.updateChannel(
          db,
          secret,
          name,
          {
            ...(flags.rename !== undefined && { name: flags.rename }),
            ...(flags.kind !== undefined && { kind: flags.kind as ChannelKind }),
            ...(u !== undefined && { url: u }),
            ...(flags.secretFile !== undefined && { secret: fromFile('--secret-file', flags.secretFile) }),
            ...(flags.secret === false && { secret: null }),
            ...(flags.group !== undefined && { group: flags.group }),
            ...(options(flags) && { options: options(flags) }),
            ...(flags.enable && { enabled: true }),
            ...(flags.disable && { enabled: false }),
          },
          { actor: await actor() },
        );
        if (!v) throw new CliError(`no channel ${name}`);
        process.stderr.write(`updated ${v.name} (${v.kind}, ${v.url}${v.enabled ? '' : ', disabled'})\n`);
      });
    });

  channels
    .command('list')
    .description('the channels (URLs redacted, secrets never shown)')
    .option('--json', 'JSON output')
    .action(async (flags: { json?: boolean }) => {
      await withStore(async ({ db }, _ctx, store) => {
        const all = await store.listChannels(db);
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify(
              all.map((c) => ({
                name: c.name,
                kind: c.kind,
                url: c.url,
                secret: c.hasSecret,
                group: c.group,
                enabled: c.enabled,
                options: c.options,
                created_at: c.createdAt,
                updated_at: c.updatedAt,
              })),
            )}\n`,
          );
          return;
        }
        if (all.length === 0) process.stderr.write('no channels (finrep channels add NAME --kind … --url …)\n');
        for (const c of all)
          process.stdout.write(
            `${c.name}  ${c.kind}  ${c.url}  ${c.group ? `group ${c.group}` : 'every edition'}${c.hasSecret ? '  signed' : ''}${c.enabled ? '' : '  disabled'}\n`,
          );
      });
    });

  channels
    .command('test <name>')
    .description('send a short test message and show the platform reply')
    .action(async (name: string) => {
      await withStore(async ({ db }, ctx, store, secret) => {
        const { adapterFor } = await import('../channels/adapters.ts');
        const r = await store.testChannel(
          db,
          secret,
          name,
          { adapterFor, publicBaseUrl: ctx.config.report.publicBaseUrl ?? null },
          { actor: await actor() },
        );
        if (!r) throw new CliError(`no channel ${name}`);
        if (!r.ok)
          throw new CliError(
            `${name}: ${r.error}${r.reply && !r.error.includes(r.reply) ? ` (reply: ${r.reply})` : ''}`,
          );
        process.stderr.write(`${name}: accepted (HTTP ${r.status}) ${r.reply}\n`);
      });
    });

  channels
    .command('remove <name>')
    .description('remove a channel (and its send log)')
    .action(async (name: string) => {
      await withStore(async ({ db }, _ctx, store) => {
        if (!(await store.removeChannel(db, name, { actor: await actor() }))) throw new CliError(`no channel ${name}`);
        process.stderr.write(`removed ${name}\n`);
      });
    });

  channels
    .command('send')
    .description('send a composed edition to the channels that do not have it yet (exactly once per channel)')
    .requiredOption('--edition <YYYY-MM-DD>', 'the edition')
    .option('--groups <names>', 'only channels without a group or of one of these groups')
    .option('--concurrency <n>', 'channels sent at once (default 4)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print the summary as JSON')
    .option('-v, --verbose', 'log at LOG_LEVEL instead of warnings only')
    .action(
      async (flags: { edition: string; groups?: string; concurrency?: number; json?: boolean; verbose?: boolean }) => {
        const date = edition(flags.edition);
        if (flags.concurrency !== undefined && !(flags.concurrency >= 1 && flags.concurrency <= 20))
          throw new CliError('--concurrency: expected 1–20');
        await withStore(
          async (database, ctx, _store, secret) => {
            report(
              await sendEdition(ctx, database, secret, date, list(flags.groups), undefined, flags.concurrency),
              flags.json,
            );
          },
          flags.verbose ? undefined : 'warn',
        );
      },
    );

  channels
    .command('resend [names...]')
    .description("re-queue an edition's failed or uncertain channel messages and send them again")
    .requiredOption('--edition <YYYY-MM-DD>', 'the edition')
    .option('--force', 'also re-send channels that have it (status sent), from the first part')
    .option('--no-send', 're-queue only; the next deliver job or `finrep channels send` sends them')
    .option('--json', 'print the summary as JSON')
    .action(async (names: string[], flags: { edition: string; force?: boolean; send: boolean; json?: boolean }) => {
      const date = edition(flags.edition);
      await withStore(async (database, ctx, store, secret) => {
        const requeued = await store.resendChannels(database.db, {
          date,
          names,
          ...(flags.force && { force: true }),
          actor: await actor(),
        });
        if (requeued.length === 0)
          throw new CliError(
            `nothing to resend for ${date}${names.length ? ` (${names.join(', ')})` : ''}: no failed or uncertain channel row${flags.force ? '' : ' (a sent one needs --force)'}`,
          );
        process.stderr.write(`re-queued ${requeued.length}: ${requeued.join(', ')}\n`);
        if (flags.send) report(await sendEdition(ctx, database, secret, date, undefined, requeued), flags.json);
      });
    });

  channels
    .command('log')
    .description("an edition's channel send log")
    .requiredOption('--edition <YYYY-MM-DD>', 'the edition')
    .option('--json', 'JSON output')
    .action(async (flags: { edition: string; json?: boolean }) => {
      const date = edition(flags.edition);
      await withStore(async ({ db }) => {
        const [{ channelsQ, editionsQ }] = await Promise.all([import('../db/queries/index.ts')]);
        const ed = await editionsQ.findEditionByDate(db, date);
        if (!ed) throw new CliError(`no edition ${date}`);
        const rows = await channelsQ.listChannelLog(db, ed.id);
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify(
              rows.map((r) => ({
                channel: r.channelName,
                status: r.status,
                attempts: r.attempts,
                parts: r.parts,
                parts_sent: r.partsSent,
                reply_code: r.replyCode,
                last_reply: r.lastReply,
                error: r.error,
                queued_at: r.queuedAt,
                sending_at: r.sendingAt,
                sent_at: r.sentAt,
                next_attempt_at: r.nextAttemptAt,
                resends: r.resends,
                history: r.history,
              })),
            )}\n`,
          );
          return;
        }
        for (const r of rows)
          process.stdout.write(
            `${r.status.padEnd(9)} ${String(r.attempts).padStart(2)}×  ${r.partsSent}/${r.parts}  ${r.channelName}  ${r.error ?? r.lastReply ?? ''}\n`,
          );
      });
    });
}
