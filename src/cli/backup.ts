import type { Command } from 'commander';
import { CliError } from './errors.ts';
import { createContext, openDb } from './context.ts';

/**
 * `finrep backup [--out DIR]` and `finrep restore FILE [--yes]` (the seed's §8): a dump and its manifest;
 * a restore that first says what it would replace.
 */
export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('dump the database (PostgreSQL: pg_dump SQL; embedded: PGlite) with a manifest, gzipped')
    .option('--out <dir>', 'the folder to write to (default BACKUP_DIR, or FINREP_DATA_DIR/backups)')
    .option('--json', 'print the manifest as JSON on stdout')
    .action(async (opts: { out?: string; json?: boolean }) => {
      const ctx = await createContext({ level: 'warn' });
      const database = await openDb(ctx);
      try {
        const { createBackup } = await import('../ops/backup.ts');
        const { file, manifest } = await createBackup(
          { database, config: ctx.config, log: ctx.log },
          { outDir: opts.out },
        );
        // Only into BACKUP_DIR: another folder (--out) is the operator's, and kept as it is.
        if (!opts.out) {
          const { pruneBackups } = await import('../ops/backup-prune.ts');
          await pruneBackups(ctx.config.ops.backupDir, ctx.config.ops.backupRetentionDays, ctx);
        }
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...manifest, path: file })}\n`);
        const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
        process.stderr.write(
          `backup written: ${file} (${(manifest.bytes / 1024).toFixed(0)} KiB, ${rows} rows, schema ${manifest.schema?.tag ?? 'none'})\n`,
        );
      } finally {
        await database.close();
      }
    });

  program
    .command('restore')
    .description('replace the database with a backup (without --yes: say what would be replaced, and stop)')
    .argument('<file>', 'finrep_YYYYMMDD_HHMMSS.sql.gz (PostgreSQL) or .tar.gz (embedded), its manifest beside it')
    .option('--yes', 'really replace the database')
    .action(async (file: string, opts: { yes?: boolean }) => {
      const ctx = await createContext({ level: 'warn' });
      const [{ planRestore, describePlan }, { restorePostgres }, { restorePglite }] = await Promise.all([
        import('../ops/restore.ts'),
        import('../ops/restore-pg.ts'),
        import('../ops/restore-pglite.ts'),
      ]);
      const database = await openDb(ctx);
      let plan;
      try {
        plan = await planRestore(database, ctx.config.dataDir, file);
      } finally {
        await database.close();
      }
      process.stderr.write(`${describePlan(plan).join('\n')}\n`);
      if (!opts.yes) throw new CliError('nothing was changed: run again with --yes to restore');
      let aside: string | null = null;
      if (plan.kind === 'postgres') await restorePostgres(ctx.config.databaseUrl!, plan.file);
      else aside = await restorePglite(ctx.config.dataDir, plan.file);
      // Opened again: pending migrations bring an older dump up to this finrep's schema; the counts prove it.
      const restored = await openDb(ctx);
      try {
        const { housekeepingQ } = await import('../db/queries/index.ts');
        const tables = await housekeepingQ.tableRowCounts(restored.db);
        const differ = Object.entries(plan.manifest.tables).filter(([t, n]) => tables[t] !== n);
        process.stderr.write(
          `restored ${Object.values(tables).reduce((a, b) => a + b, 0)} rows into ${plan.target}` +
            (aside ? `; the replaced folder is kept as ${aside}` : '') +
            (differ.length ? `; rows differ from the manifest in ${differ.map(([t]) => t).join(', ')}` : '') +
            '\n',
        );
        if (differ.length) process.exitCode = 1;
      } finally {
        await restored.close();
      }
    });
}
