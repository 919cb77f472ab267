/**
 * An embedded-database restore: the data folder `pglite/` set aside as `pglite.replaced-<time>` (kept, not
 * deleted: the operator's way back) and a new one loaded from the tarball by PGlite (`loadDataDir`), under the
 * folder's lock, so no finrep process has it open meanwhile.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { acquireLock } from '../db/client.ts';
import { BackupError } from './backup-tools.ts';

/** Replaces `dataDir/pglite` with the PGlite tarball `file`; returns where the old folder went (null: none). */
export async function restorePglite(dataDir: string, file: string, now = new Date()): Promise<string | null> {
  const dir = path.join(dataDir, 'pglite');
  const release = acquireLock(path.join(dataDir, 'pglite.lock'));
  const aside = existsSync(dir) ? `${dir}.replaced-${now.toISOString().replace(/[:.]/g, '-')}` : null;
  try {
    const tarball = await readFile(file);
    if (aside) await rename(dir, aside);
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      const pg = await PGlite.create(dir, { loadDataDir: new Blob([tarball]) });
      await pg.query('select 1');
      await pg.close();
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if (aside) await rename(aside, dir);
      throw new BackupError(
        `PGlite could not load ${path.basename(file)}: ${(err as Error).message}; nothing was changed`,
        {
          cause: err,
        },
      );
    }
    return aside;
  } finally {
    release();
  }
}
