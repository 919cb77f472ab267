/**
 * PostgreSQL's own client programs (`pg_dump`, `psql`) run for a backup or a restore. The password never
 * reaches a command line (where `ps` shows it) or a log: the connection travels in the libpq environment
 * (`PGHOST`, `PGPASSWORD` …), parsed from `DATABASE_URL`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inheritedEnvironment } from '../config/early.ts';

/** A backup or restore that could not be done; the message is one line for the operator, without secrets. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** libpq's environment for `url` (its query parameters `sslmode` … as `PGSSLMODE` …), on top of `base`. */
export function libpqEnv(url: string, base: NodeJS.ProcessEnv = inheritedEnvironment()): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of Object.keys(env)) if (k.startsWith('PG')) delete env[k];
  env.PGHOST = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost';
  env.PGPORT = u.port || '5432';
  env.PGDATABASE = decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'postgres';
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const params: Record<string, string> = {
    sslmode: 'PGSSLMODE',
    sslrootcert: 'PGSSLROOTCERT',
    sslcert: 'PGSSLCERT',
    sslkey: 'PGSSLKEY',
    application_name: 'PGAPPNAME',
    host: 'PGHOST',
  };
  for (const [k, v] of u.searchParams) if (params[k]) env[params[k]] = v;
  env.PGCONNECT_TIMEOUT ??= '10';
  return env;
}

/** The major version of a client program (`pg_dump (PostgreSQL) 15.20 (Debian …)` → 15), or a clear error when missing. */
export async function toolVersion(tool: 'pg_dump' | 'psql'): Promise<{ major: number; line: string }> {
  try {
    const { stdout } = await promisify(execFile)(tool, ['--version'], { timeout: 10_000 });
    const line = stdout.trim();
    const m = /\)\s+(\d+)(?:\.\d+)?/.exec(line);
    if (!m) throw new BackupError(`cannot read the version of ${tool} from "${line}"`);
    return { major: Number(m[1]), line };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new BackupError(`${tool} is not installed: install the PostgreSQL client (Debian: postgresql-client-15)`);
    throw new BackupError(`${tool} --version failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * pg_dump refuses a server of a newer major version than its own ("server version mismatch"); an older
 * server is fine. Said before the dump starts, with the package to install.
 */
export function checkDumpCompatible(dumpMajor: number, serverVersionNum: number): void {
  const serverMajor = Math.floor(serverVersionNum / 10_000);
  if (dumpMajor < serverMajor)
    throw new BackupError(
      `pg_dump ${dumpMajor} cannot dump a PostgreSQL ${serverMajor} server: install postgresql-client-${serverMajor} ` +
        `(pg_dump must be at least the server's major version)`,
    );
}

/** The last lines a program wrote on stderr, as one line (at most 300 characters). */
export function lastLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-2).join(' / ').slice(0, 300) || '(no message)';
}
