/**
 * Backup retention (`BACKUP_RETENTION_DAYS`): deletes finrep's own backup files (`finrep_YYYYMMDD_HHMMSS.*`,
 * and `.partial` leftovers of a crashed backup) older than the limit, never anything else in the folder and
 * never the newest backup — a schedule that stopped working must not end with no backup at all.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { isBackupFile } from './backup-manifest.ts';

/** Deletes backups in `dir` older than `days` (by modification time); returns the deleted names. */
export async function pruneBackups(
  dir: string,
  days: number,
  deps: { log: Logger; now?: () => Date },
): Promise<string[]> {
  const cutoff = (deps.now ?? (() => new Date()))().getTime() - days * 86_400_000;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ours = names.filter((n) => isBackupFile(n) || (n.endsWith('.partial') && isBackupFile(n.slice(0, -8))));
  const stems = ours.filter((n) => !n.endsWith('.partial')).map((n) => n.slice(0, 22));
  // The names sort by time (finrep_YYYYMMDD_HHMMSS): the newest stem is kept whatever its age.
  const newest = stems.sort().at(-1);
  const deleted: string[] = [];
  for (const name of ours) {
    if (name.startsWith(`${newest}.`) && !name.endsWith('.partial')) continue;
    const file = path.join(dir, name);
    const { mtimeMs } = await stat(file);
    if (mtimeMs >= cutoff) continue;
    await rm(file, { force: true });
    deleted.push(name);
  }
  if (deleted.length > 0) deps.log.info({ dir, deleted, retention_days: days }, 'old backups deleted');
  return deleted.sort();
}
