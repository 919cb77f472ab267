import type { Command } from 'commander';
import { createContext, openDb } from './context.ts';

/** `finrep sources`: what is configured, with health (recipients: `cli/recipients.ts`). */
export function registerLists(program: Command): void {
  program
    .command('sources')
    .description('list sources with their health')
    .option('--json', 'JSON output')
    .action(async (flags: { json?: boolean }) => {
      const ctx = await createContext({ level: 'warn' });
      const [database, { sourcesQ }] = await Promise.all([openDb(ctx), import('../db/queries/index.ts')]);
      try {
        const rows = await sourcesQ.listSources(database.db);
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify(
              rows.map((s) => ({
                id: s.id,
                key: s.key,
                name: s.name,
                kind: s.kind,
                url: s.url,
                enabled: s.enabled,
                last_success_at: s.lastSuccessAt,
                consecutive_failures: s.consecutiveFailures,
                last_error: s.lastError,
                next_attempt_at: s.nextAttemptAt,
              })),
            )}\n`,
          );
          return;
        }
        for (const s of rows) {
          const health =
            s.consecutiveFailures > 0
              ? `FAILING ×${s.consecutiveFailures}: ${s.lastError ?? ''}`
              : s.lastSuccessAt
                ? `ok ${s.lastSuccessAt.toISOString()}${s.lastError ? ` (warning: ${s.lastError})` : ''}`
                : 'never fetched';
          process.stdout.write(
            `${String(s.id).padStart(4)}  ${s.kind.padEnd(7)} ${s.enabled ? ' ' : '-'} ${s.name}  ${s.url}\n        ${health}\n`,
          );
        }
      } finally {
        await database.close();
      }
    });
}
