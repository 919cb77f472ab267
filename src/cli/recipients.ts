import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './errors.ts';
import { createContext, openDb } from './context.ts';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const splitGroups = (v: string | undefined) =>
  v
    ?.split(/[,，;|]/)
    .map((g) => g.trim())
    .filter(Boolean) ?? [];

/** `finrep recipients list|import|export|enable|disable`: the whitelist (DESIGN §6). */
export function registerRecipients(program: Command): void {
  const recipients = program
    .command('recipients')
    .description('the recipient whitelist: list, import, export, enable, disable');

  recipients
    .command('list')
    .description('list recipients')
    .option('--json', 'JSON output')
    .option('--group <names>', 'only recipients in one of these groups (comma-separated)')
    .action(async (flags: { json?: boolean; group?: string }) => {
      const ctx = await createContext({ level: 'warn' });
      const [database, { recipientsQ }] = await Promise.all([openDb(ctx), import('../db/queries/index.ts')]);
      try {
        const rows = await recipientsQ.listRecipients(database.db, { groups: splitGroups(flags.group) });
        const list = rows.map((r) => ({
          id: r.id,
          email: r.email,
          name: r.name,
          groups: r.groups,
          enabled: r.enabled,
          unsubscribed: r.unsubscribedAt !== null,
          unsubscribed_at: r.unsubscribedAt,
          created_at: r.createdAt,
        }));
        if (flags.json) return out(JSON.stringify(list));
        for (const r of list)
          out(
            `${String(r.id).padStart(4)}  ${r.enabled && !r.unsubscribed ? ' ' : '-'} ${r.email}  ${r.name ?? ''}  [${r.groups.join(',')}]${r.unsubscribed ? '  (退订)' : r.enabled ? '' : '  (停用)'}`,
          );
      } finally {
        await database.close();
      }
    });

  recipients
    .command('import')
    .description('import recipients from a CSV file (header email,name,groups; UTF-8 or GBK)')
    .argument('<file>', 'CSV file: email,name,groups — groups separated by ; or | inside the field')
    .option('--json', 'print the import report as JSON')
    .option('--dry-run', 'check the file without changing the database')
    .action(async (file: string, flags: { json?: boolean; dryRun?: boolean }) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new CliError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const ctx = await createContext({ level: 'warn' });
      const database = await openDb(ctx);
      try {
        const [{ importRecipientsCsv }, { RecipientsCsvError }] = await Promise.all([
          import('../deliver/recipients.ts'),
          import('../deliver/recipients-csv.ts'),
        ]);
        const report = await importRecipientsCsv(database.db, bytes, { dryRun: flags.dryRun }).catch((e: unknown) => {
          throw e instanceof RecipientsCsvError ? new CliError(`${file}: ${e.message}`) : e;
        });
        if (flags.json) return out(JSON.stringify({ file, dry_run: flags.dryRun ?? false, ...report }));
        out(
          `${file} (${report.encoding.toUpperCase()}): ${report.valid} valid → ${report.created} new, ${report.updated} updated; ` +
            `${report.duplicates.length} duplicates merged, ${report.invalid.length} invalid${flags.dryRun ? ' (dry run: nothing written)' : ''}`,
        );
        for (const i of report.invalid) err(`  line ${i.line}: "${i.value}" — ${i.reason}`);
        for (const d of report.duplicates) err(`  ${d.email}: lines ${d.lines.join(', ')} merged`);
        if (report.unsubscribed.length > 0) err(`  unsubscribed, not re-subscribed: ${report.unsubscribed.join(', ')}`);
        if (report.disabled.length > 0) err(`  disabled, left disabled: ${report.disabled.join(', ')}`);
      } finally {
        await database.close();
      }
    });

  recipients
    .command('export')
    .description('write recipients as CSV (email,name,groups — what import reads)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--group <names>', 'only recipients in one of these groups (comma-separated)')
    .option('--active', 'only enabled, subscribed recipients')
    .action(async (flags: { output?: string; group?: string; active?: boolean }) => {
      const ctx = await createContext({ level: 'warn' });
      const [database, { recipientsQ }] = await Promise.all([openDb(ctx), import('../db/queries/index.ts')]);
      try {
        const groups = splitGroups(flags.group);
        const rows = flags.active
          ? await recipientsQ.listActiveRecipients(database.db, { groups })
          : await recipientsQ.listRecipients(database.db, { groups });
        const { formatRecipientsCsv } = await import('../deliver/recipients-csv.ts');
        const csv = formatRecipientsCsv(rows);
        if (!flags.output) return void process.stdout.write(csv);
        writeFileSync(flags.output, csv);
        err(`${rows.length} recipients written to ${flags.output}`);
      } finally {
        await database.close();
      }
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    recipients
      .command(name)
      .description(`${enabled ? 'put a recipient back on' : 'take a recipient off'} the whitelist`)
      .argument('<email>')
      .action(async (email: string) => {
        const ctx = await createContext({ level: 'warn' });
        const [database, { recipientsQ }] = await Promise.all([openDb(ctx), import('../db/queries/index.ts')]);
        try {
          if (!(await recipientsQ.setRecipientEnabled(database.db, email, enabled)))
            throw new CliError(`no recipient ${email}`);
          err(`${email} ${enabled ? 'enabled' : 'disabled'}`);
        } finally {
          await database.close();
        }
      });
  }
}
