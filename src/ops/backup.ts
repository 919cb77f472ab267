/**
 * `finrep backup`: the database into one gzipped file plus its manifest (backup-manifest.ts). PostgreSQL
 * through `pg_dump` (plain SQL, so the seed's `gunzip < finrep_….sql.gz | psql` restores it too), in an
 * exported snapshot so that the manifest's row counts are exactly the dump's; the embedded database through
 * PGlite's own `dumpDataDir`. A dump is written under a `.partial` name and renamed when complete: a file with
 * a backup's name is always a whole backup.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { sql } from 'drizzle-orm';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/client.ts';
import { ThreadedPglite } from '../db/pglite-client.ts';
import { housekeepingQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';
import { backupStem, dumpName, manifestPathOf, schemaVersion, writeManifest } from './backup-manifest.ts';
import type { BackupManifest } from './backup-manifest.ts';
import { BackupError, checkDumpCompatible, lastLines, libpqEnv, toolVersion } from './backup-tools.ts';

export { BackupError };

/** What a backup needs: the open database, the configuration (zone, folder), a logger and the clock. */
export interface BackupDeps {
  database: Database;
  config: Config;
  log: Logger;
  now?: () => Date;
}

/** A finished backup: the dump's path, its manifest's path, and the manifest. */
export interface BackupResult {
  file: string;
  manifestFile: string;
  manifest: BackupManifest;
}

/**
 * Backs the database up into `outDir` (default `BACKUP_DIR`).
 * @example const { file } = await createBackup({ database, config, log }); // data/backups/finrep_20251110_070000.sql.gz
 */
export async function createBackup(deps: BackupDeps, opts: { outDir?: string } = {}): Promise<BackupResult> {
  const { database, config, log } = deps;
  const outDir = path.resolve(opts.outDir ?? config.ops.backupDir);
  await mkdir(outDir, { recursive: true });
  const at = (deps.now ?? (() => new Date()))();
  const stem = backupStem(at, config.timeZone);
  const file = path.join(outDir, dumpName(stem, database.kind));
  const partial = `${file}.partial`;
  const started = Date.now();
  try {
    const taken =
      database.kind === 'postgres' ? await dumpPostgres(database, partial) : await dumpPglite(database, partial);
    const { size } = await stat(partial);
    await rename(partial, file);
    const manifest: BackupManifest = {
      format: 1,
      kind: database.kind,
      file: path.basename(file),
      createdAt: at.toISOString(),
      timeZone: config.timeZone,
      schema: taken.schema,
      tables: taken.tables,
      serverVersion: taken.serverVersion,
      dumpTool: taken.dumpTool,
      bytes: size,
      sha256: taken.sha256,
    };
    const manifestFile = manifestPathOf(file);
    await writeManifest(manifestFile, manifest);
    const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
    log.info(
      { file, bytes: size, rows, schema: manifest.schema?.tag ?? null, duration_ms: Date.now() - started },
      'backup written',
    );
    return { file, manifestFile, manifest };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/** What a dump function reports besides the file. */
interface Taken {
  schema: BackupManifest['schema'];
  tables: Record<string, number>;
  serverVersion: string | null;
  dumpTool: string | null;
  sha256: string;
}

/** The manifest's header line at the top of a SQL dump: a comment to psql, the schema version to restore. */
const HEADER = '-- finrep-backup: ';

/** pg_dump in a snapshot exported by a transaction that counts the rows, gzipped into `partial`. */
async function dumpPostgres(database: Database, partial: string): Promise<Taken> {
  const url = database.url!;
  const tool = await toolVersion('pg_dump');
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const num = Number((await client.query<{ v: string }>('show server_version_num')).rows[0]!.v);
    checkDumpCompatible(tool.major, num);
    await client.query('begin isolation level repeatable read read only');
    const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
    // The counts and the migration in the dump's snapshot (this transaction's), through drizzle's queries.
    const { drizzle } = await import('drizzle-orm/node-postgres');
    const tx = drizzle(client) as unknown as Database['db'];
    const tables = await housekeepingQ.tableRowCounts(tx);
    const schema = schemaVersion(await housekeepingQ.appliedMigrations(tx));
    const serverVersion = `${Math.floor(num / 10_000)}.${num % 10_000}`;
    const header = `${HEADER}${JSON.stringify({ format: 1, kind: 'postgres', schema, tables })}\n`;
    const sha256 = await runPgDump(url, snapshot, header, partial);
    await client.query('commit');
    return { schema, tables, serverVersion, dumpTool: tool.line, sha256 };
  } finally {
    await client.end().catch(() => {});
  }
}

/** `pg_dump` (plain SQL, no owners or grants: it restores as any user) → gzip → `partial`; the gz file's SHA-256. */
async function runPgDump(url: string, snapshot: string, header: string, partial: string): Promise<string> {
  const child = spawn('pg_dump', ['--format=plain', '--no-owner', '--no-privileges', `--snapshot=${snapshot}`], {
    env: libpqEnv(url),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const gzip = createGzip({ level: 6 });
  gzip.write(header);
  try {
    await Promise.race([
      pipeline(child.stdout, gzip, hashing, createWriteStream(partial, { mode: 0o600 })),
      spawnError,
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'pg_dump is not installed' : (err as Error).message;
    throw new BackupError(`pg_dump failed: ${reason}`, { cause: err });
  }
  const code = await exited;
  if (code !== 0) throw new BackupError(`pg_dump exited with ${code}: ${lastLines(stderr)}`);
  return hash.digest('hex');
}

/** PGlite's dump of its folder (a gzipped tarball), after counting its rows. */
async function dumpPglite(database: Database, partial: string): Promise<Taken> {
  const tables = await housekeepingQ.tableRowCounts(database.db);
  const schema = schemaVersion(await housekeepingQ.appliedMigrations(database.db));
  const res = (await database.db.execute(sql`show server_version`)) as unknown as {
    rows: { server_version: string }[];
  };
  const client = (database.db as unknown as { $client?: unknown }).$client;
  if (!(client instanceof ThreadedPglite)) throw new BackupError('the embedded database cannot be dumped here');
  const tarball = await client.dumpDataDir();
  await writeFile(partial, tarball, { mode: 0o600 });
  return {
    schema,
    tables,
    serverVersion: res.rows[0]?.server_version ?? null,
    dumpTool: 'PGlite dumpDataDir',
    sha256: createHash('sha256').update(tarball).digest('hex'),
  };
}

/**
 * The scheduled backup (`BACKUP_SCHEDULE`, run by beat or `finrep start`): a backup into `BACKUP_DIR`, then
 * backups older than `BACKUP_RETENTION_DAYS` deleted.
 */
export async function scheduledBackup(deps: BackupDeps): Promise<BackupResult> {
  const result = await createBackup(deps);
  const { pruneBackups } = await import('./backup-prune.ts');
  await pruneBackups(deps.config.ops.backupDir, deps.config.ops.backupRetentionDays, deps);
  return result;
}
