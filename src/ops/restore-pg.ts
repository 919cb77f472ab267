/**
 * A PostgreSQL restore: everything of finrep's (the `public` schema and drizzle's migration records) dropped
 * and the dump loaded by `psql`, all in one transaction — a failure leaves the database as it was. The
 * password reaches psql through its environment only (backup-tools.ts).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BackupError, lastLines, libpqEnv, toolVersion } from './backup-tools.ts';

/**
 * What psql reads before the dump: give up on a lock held by a running finrep process after 10 s (instead of
 * waiting for it), then empty the database.
 */
const WIPE = [
  "SET lock_timeout = '10s';",
  'DROP SCHEMA IF EXISTS drizzle CASCADE;',
  'DROP SCHEMA IF EXISTS public CASCADE;',
  'CREATE SCHEMA public;',
  "SET lock_timeout = '0';",
  '',
].join('\n');

/** Replaces the database at `url` with the gzipped SQL dump `file` (checked beforehand by `planRestore`). */
export async function restorePostgres(url: string, file: string): Promise<void> {
  await toolVersion('psql');
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', '-'], {
    env: libpqEnv(url),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  try {
    await Promise.race([
      (async () => {
        child.stdin.write(WIPE);
        await pipeline(createReadStream(file), createGunzip(), child.stdin);
      })(),
      spawnError,
    ]);
  } catch (err) {
    // Killed before its input ends, psql never commits: the server rolls the transaction back.
    child.kill('SIGKILL');
    await exited;
    if ((err as NodeJS.ErrnoException).code === 'EPIPE')
      throw new BackupError(`psql stopped reading: ${lastLines(stderr)}; nothing was changed`);
    throw new BackupError(`restore failed: ${(err as Error).message}; nothing was changed`, { cause: err });
  }
  const code = await exited;
  if (code !== 0) throw new BackupError(`psql exited with ${code}: ${lastLines(stderr)}; nothing was changed`);
}
