import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { ThreadedPglite } from './pglite-client.ts';
// The schema (drizzle's pg-core) loads when a database opens, while PGlite's thread starts (openPglite).
import type * as schema from './schema/index.ts';

/** The drizzle database, the same type over PostgreSQL and PGlite. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database with the means to close it. */
export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The PostgreSQL URL (null on PGlite). */
  url: string | null;
  close(): Promise<void>;
}

/** The database could not be opened; the message names the problem and never the password. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Hides the password of a connection URL. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Opens PostgreSQL when `databaseUrl` is set, otherwise PGlite in `dataDir/pglite` (holding an exclusive lock
 * on the folder), and applies pending migrations (`migrate: false` to skip).
 */
export async function openDatabase(opts: {
  databaseUrl: string | null;
  dataDir: string;
  migrate?: boolean;
  /** Connections of the PostgreSQL pool (`DATABASE_POOL_SIZE`). @defaultValue 10 */
  poolSize?: number;
}): Promise<Database> {
  const database = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, opts.poolSize ?? 10)
    : await openPglite(opts.dataDir);
  if (opts.migrate !== false) {
    try {
      await migrateDatabase(database);
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  return database;
}

/**
 * The server side notices a dead client within ≈ 30 s (keepalive probes from 10 s of silence, 5 s apart, 3
 * lost; or 30 s of unacknowledged data) rather than the system default of over two hours: a worker cut off
 * the network (a dead host, a partition) otherwise keeps its session open on the server, and with it its
 * session advisory locks (dedup's, the migration's) and its transaction's row locks, which stop every other
 * worker waiting on them (test/jobs-partition.test.ts). Plain `SET`s, not startup options, so that a
 * connection pooler passes them through. Behind a pooler or proxy, that hop's own keepalives apply too.
 */
const SERVER_KEEPALIVE =
  'set tcp_keepalives_idle = 10; set tcp_keepalives_interval = 5; set tcp_keepalives_count = 3; set tcp_user_timeout = 30000';

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  await ThreadedPglite.discardPreload();
  const [{ default: pg }, { drizzle }, schema] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('./schema/index.ts'),
  ]);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 10_000,
    // This side notices a dead server (or a cut network) instead of waiting on a socket for ever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // Awaited by the pool before the client is handed out (pg-pool ≥ 3.8): see SERVER_KEEPALIVE. A server
    // that refuses a setting still serves.
    onConnect: async (client) => {
      await client.query(SERVER_KEEPALIVE).catch(() => {});
    },
  });
  pool.on('error', () => {
    /* idle client errors surface on the next query */
  });
  // The pool listens for errors on idle clients only: a connection lost while its client is checked out
  // between two queries (a transaction) would be an unhandled 'error' that kills the process on a database
  // restart. Its next query fails instead, and the pool discards it when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    throw new DatabaseError(`DATABASE_URL: cannot connect to ${safeUrl(url)} (${e.code ?? e.message})`, { cause: err });
  }
  const db = drizzle(pool, { schema }) as unknown as Db;
  return { db, kind: 'postgres', url, close: () => endPool(pool) };
}

/** How long closing waits for the pool's checked-out connections to come back. */
const POOL_END_TIMEOUT_MS = 5_000;

/**
 * Ends the pool. node-postgres' `end()` waits until every checked-out client is released; a client lost with
 * its database (dropped, or the server gone) mid-query may never be, and with its socket gone nothing keeps
 * the process alive: `await end()` then never settles and Node exits with code 13 instead of the command's
 * own error. So the wait is bounded (a referenced timer), and what is left is dropped with the process.
 */
async function endPool(pool: { end(): Promise<void> }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), POOL_END_TIMEOUT_MS)),
  );
  try {
    await Promise.race([pool.end(), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The embedded PostgreSQL's settings. PGlite's defaults are a server's (128 MB of shared buffers, replica WAL
 * with full-page images) in a process that also fetches, parses and sends: the buffers sit in the WebAssembly
 * heap, which never shrinks, and the files they cache stay in the OS page cache anyway.
 */
const PGLITE_SETTINGS = [
  // PGlite zeroes its shared memory at start: every MB here is a MB of the process (16 MB: ~13 MB less than 32
  // MB for the embedded edition benchmark, no slower).
  'shared_buffers=16MB',
  'wal_buffers=1MB',
  // No replica, no archive: minimal WAL, and no page images for a crash that PGlite's no-fsync mode does
  // not survive anyway.
  'wal_level=minimal',
  'max_wal_senders=0',
  'full_page_writes=off',
];

async function openPglite(dataDir: string): Promise<Database> {
  const dir = path.join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const release = acquireLock(path.join(dataDir, 'pglite.lock'));
  try {
    // On its own thread: PGlite runs each statement synchronously, which on the main thread would stall
    // every fetch and send of the process while it runs (pglite-client.ts). The thread starts first: drizzle
    // and the schema load here while PGlite starts there.
    const opening = ThreadedPglite.open(dir, PGLITE_SETTINGS);
    const [client, { drizzle }, schema] = await Promise.all([
      opening,
      import('drizzle-orm/pglite'),
      import('./schema/index.ts'),
    ]).catch(async (err: unknown) => {
      await opening.then(
        (c) => c.close(),
        () => {},
      );
      throw err;
    });
    const db = drizzle({ client: client as unknown as PGlite, schema }) as unknown as Db;
    return {
      db,
      kind: 'pglite',
      url: null,
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw new DatabaseError(`cannot open the embedded database in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Gives back the memory the embedded database took for a large working set (composing an edition stores its
 * whole report model): PGlite's WebAssembly heap never shrinks, so its thread is replaced between two
 * statements. Nothing to do on PostgreSQL.
 */
export async function releaseDatabaseMemory(db: Db): Promise<void> {
  const client = (db as unknown as { $client?: unknown }).$client;
  if (client instanceof ThreadedPglite) await client.restart();
}

/** PGlite belongs to one process: a lock file with our pid; a stale lock (dead pid) is taken over (also by restore). */
export function acquireLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new DatabaseError(
          `the embedded database in ${path.dirname(file)} is in use by another finrep process (pid ${pid}); stop it, or set DATABASE_URL to use PostgreSQL`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new DatabaseError(`cannot lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the embedded database holds the newest migration already, by drizzle's own rule (a migration is
 * pending when it is newer than the last one recorded): one query, where the migrator reads and hashes every
 * file and creates its schema and table if missing (a tenth of a listing command's time). PGlite has one
 * process, so nothing migrates between this and the caller's statements.
 */
async function pgliteUpToDate(database: Database): Promise<boolean> {
  try {
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as {
      entries: { when: number }[];
    };
    const newest = Math.max(...journal.entries.map((e) => e.when));
    const { sql } = await import('drizzle-orm');
    const rows = await database.db.execute(sql`select max(created_at) as at from drizzle.__drizzle_migrations`);
    const at = (Array.isArray(rows) ? rows : (rows as { rows: { at: unknown }[] }).rows)[0] as
      { at: unknown } | undefined;
    return at?.at != null && Number(at.at) >= newest;
  } catch {
    return false; // a new folder (no migrations table yet): the migrator creates it
  }
}

/** Applies the generated, append-only migrations (serialised by an advisory lock on PostgreSQL). */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    if (await pgliteUpToDate(database)) return;
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- both drizzle flavours share PgDatabase
    await migrate(database.db as any, { migrationsFolder: MIGRATIONS });
    return;
  }
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const { default: pg } = await import('pg');
  // Two workers starting together must not both migrate: hold a session advisory lock on its own connection.
  const lock = new pg.Client({ connectionString: database.url! });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(727001)');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- both drizzle flavours share PgDatabase
    await migrate(database.db as any, { migrationsFolder: MIGRATIONS });
  } finally {
    await lock.query('select pg_advisory_unlock(727001)').catch(() => {});
    await lock.end();
  }
}
