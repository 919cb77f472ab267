import type { Command } from 'commander';
import { createContext, openDb } from './context.ts';

/** `finrep migrate`: applies pending migrations (the seed's `alembic upgrade head`). */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const ctx = await createContext();
      const database = await openDb(ctx);
      await database.close();
      process.stderr.write(`migrations applied (${database.kind})\n`);
    });
}
