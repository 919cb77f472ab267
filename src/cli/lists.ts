import type { Command } from 'commander';
import { recipientsQ, sourcesQ } from '../db/queries/index.ts';
import { createContext, openDb } from './context.ts';

/** `finrep sources` and `finrep recipients list`: what is configured, with health. */
export function registerLists(program: Command): void {
  program.command('sources').description('list sources with their health').option('--json', 'JSON output')
    .action(async (flags: { json?: boolean }) => {
      const ctx = createContext({ level: 'warn' });
      const database = await openDb(ctx);
      try {
        const rows = await sourcesQ.listSources(database.db);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(rows.map((s) => ({
            id: s.id, key: s.key, name: s.name, kind: s.kind, url: s.url, enabled: s.enabled, last_success_at: s.lastSuccessAt,
            consecutive_failures: s.consecutiveFailures, last_error: s.lastError, next_attempt_at: s.nextAttemptAt,
          })))}\n`);
          return;
        }
        for (const s of rows) {
          const health = s.consecutiveFailures > 0 ? `FAILING ×${s.consecutiveFailures}: ${s.lastError ?? ''}` : s.lastSuccessAt ? `ok ${s.lastSuccessAt.toISOString()}` : 'never fetched';
          process.stdout.write(`${String(s.id).padStart(4)}  ${s.kind.padEnd(7)} ${s.enabled ? ' ' : '-'} ${s.name}  ${s.url}\n        ${health}\n`);
        }
      } finally {
        await database.close();
      }
    });

  const recipients = program.command('recipients').description('manage recipients');
  recipients.command('list').description('list recipients').option('--json', 'JSON output')
    .action(async (flags: { json?: boolean }) => {
      const ctx = createContext({ level: 'warn' });
      const database = await openDb(ctx);
      try {
        const rows = await recipientsQ.listRecipients(database.db);
        const out = rows.map((r) => ({ id: r.id, email: r.email, name: r.name, groups: r.groups, enabled: r.enabled, unsubscribed: r.unsubscribedAt !== null }));
        if (flags.json) process.stdout.write(`${JSON.stringify(out)}\n`);
        else for (const r of out) process.stdout.write(`${String(r.id).padStart(4)}  ${r.enabled && !r.unsubscribed ? ' ' : '-'} ${r.email}  ${r.name ?? ''}  [${r.groups.join(',')}]\n`);
      } finally {
        await database.close();
      }
    });
}
