import type { Command } from 'commander';
import { openDatabase } from '../db/client.ts';
import { createContext } from './context.ts';

/** `finrep migrate`: applies pending migrations (the seed's `alembic upgrade head`). */
export function registerMigrate(program: Command): void {
  program.command('migrate').description('apply pending database migrations').action(async () => {
    const ctx = createContext();
    const database = await openDatabase({ databaseUrl: ctx.config.databaseUrl, dataDir: ctx.config.dataDir });
    await database.close();
    process.stderr.write(`migrations applied (${database.kind})\n`);
  });
}
