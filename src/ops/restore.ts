/**
 * `finrep restore FILE`: first the plan — the dump read whole (a truncated or corrupt file is refused before
 * anything is touched), its manifest, the database it would replace with the current row counts against the
 * dump's — then, only when asked (`--yes`), the restore itself: psql in one transaction on PostgreSQL
 * (restore-pg.ts), the data folder swapped on PGlite (restore-pglite.ts). A dump from a newer schema than this
 * finrep knows is refused: its next start could not migrate it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Database } from '../db/client.ts';
import { safeUrl } from '../db/client.ts';
import { housekeepingQ } from '../db/queries/index.ts';
import { isNewerSchema, kindOfName, knownMigrations, readManifest, schemaVersion } from './backup-manifest.ts';
import type { BackupKind, BackupManifest, SchemaVersion } from './backup-manifest.ts';
import { BackupError } from './backup-tools.ts';

/** What a restore would do: which database it replaces, and the rows now against the dump's. */
export interface RestorePlan {
  file: string;
  kind: BackupKind;
  manifest: Pick<BackupManifest, 'schema' | 'tables'> & Partial<BackupManifest>;
  /** The database replaced: PostgreSQL's URL without its password, or the embedded folder. */
  target: string;
  current: { schema: SchemaVersion | null; tables: Record<string, number> };
}

/** The manifest's line at the top of a SQL dump (backup.ts). */
const HEADER = '-- finrep-backup: ';
/** pg_dump's last line: a dump without it was cut short. */
const DUMP_END = '-- PostgreSQL database dump complete';

/**
 * Reads the dump whole through gunzip: its first line (a SQL dump's manifest header) and whether it ends as a
 * complete dump. A damaged file fails here with the reason in one line.
 */
export async function inspectDump(file: string): Promise<{ kind: BackupKind; header: string; complete: boolean }> {
  const kind = kindOfName(file);
  if (!kind)
    throw new BackupError(`${path.basename(file)}: not a finrep backup (expected finrep_….sql.gz or ….tar.gz)`);
  try {
    await stat(file);
  } catch {
    throw new BackupError(`${file}: no such file`);
  }
  let head = '';
  let tail = '';
  let bytes = 0;
  let dataDir = false;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (head.length < 65_536) head += chunk.toString('utf8', 0, Math.min(chunk.length, 65_536));
      const text = tail + chunk.toString('latin1');
      // A PGlite tarball holds PostgreSQL's data folder, whose marker is the PG_VERSION file.
      dataDir ||= text.includes('PG_VERSION');
      tail = text.slice(-512);
      bytes += chunk.length;
      done();
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), sink);
  } catch (err) {
    throw new BackupError(`${path.basename(file)} is damaged: ${gzipReason(err)}; restore nothing from it`, {
      cause: err,
    });
  }
  if (bytes === 0) throw new BackupError(`${path.basename(file)} is empty`);
  const complete = kind === 'pglite' ? dataDir : tail.includes(DUMP_END);
  return { kind, header: head.split('\n', 1)[0]!, complete };
}

/** zlib's error as an operator reads it. */
function gzipReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message)) return 'it ends too early (truncated)';
  if (/incorrect header check/i.test(e.message)) return 'it is not a gzip file';
  if (e.code === 'Z_DATA_ERROR') return `its compressed data is corrupt (${e.message})`;
  return e.message;
}

/** The dump's manifest: the file beside it, else (SQL) the header line inside it. */
async function manifestOf(file: string, header: string): Promise<RestorePlan['manifest'] | null> {
  const beside = await readManifest(file);
  if (beside) return beside;
  if (!header.startsWith(HEADER)) return null;
  try {
    return JSON.parse(header.slice(HEADER.length)) as RestorePlan['manifest'];
  } catch {
    return null;
  }
}

/**
 * Checks the dump against `database` and says what restoring it would replace. Throws a {@link BackupError}
 * for a damaged or incomplete dump, one of the other database kind, or one from a newer schema.
 */
export async function planRestore(database: Database, dataDir: string, file: string): Promise<RestorePlan> {
  const dump = await inspectDump(file);
  const name = path.basename(file);
  if (dump.kind !== database.kind)
    throw new BackupError(
      dump.kind === 'postgres'
        ? `${name} is a PostgreSQL dump: restore it with DATABASE_URL (or POSTGRES_HOST) set, or with psql`
        : `${name} is an embedded-database (PGlite) backup: restore it with DATABASE_URL unset`,
    );
  if (!dump.complete)
    throw new BackupError(
      dump.kind === 'postgres'
        ? `${name} is incomplete (pg_dump's closing line is missing): truncated`
        : `${name} holds no PostgreSQL data folder (no PG_VERSION)`,
    );
  const manifest = await manifestOf(file, dump.header);
  if (!manifest)
    throw new BackupError(
      `${name} has no manifest (${name.replace(/\.(sql|tar)\.gz$/, '')}.manifest.json): keep it beside the dump`,
    );
  if (isNewerSchema(manifest.schema)) {
    const known = knownMigrations();
    throw new BackupError(
      `${name} comes from a newer finrep (schema ${manifest.schema!.tag}; this one knows up to ` +
        `${known[known.length - 1]!.tag}): upgrade finrep, then restore`,
    );
  }
  const target = database.kind === 'postgres' ? safeUrl(database.url!) : path.join(dataDir, 'pglite');
  const current = {
    schema: schemaVersion(await housekeepingQ.appliedMigrations(database.db)),
    tables: await housekeepingQ.tableRowCounts(database.db),
  };
  return { file: path.resolve(file), kind: dump.kind, manifest, target, current };
}

/** The plan as the lines `finrep restore` prints: the target, then each table's rows now → in the dump. */
export function describePlan(plan: RestorePlan): string[] {
  const m = plan.manifest;
  const lines = [
    `restore ${path.basename(plan.file)} (${m.createdAt ?? 'time unknown'}, schema ${m.schema?.tag ?? 'none'})`,
    `into ${plan.kind === 'postgres' ? 'PostgreSQL' : 'the embedded database'} ${plan.target} ` +
      `(schema ${plan.current.schema?.tag ?? 'none'}), replacing everything in it:`,
  ];
  const names = [...new Set([...Object.keys(plan.current.tables), ...Object.keys(m.tables)])].sort();
  const width = Math.max(...names.map((n) => n.length), 5);
  lines.push(`  ${'table'.padEnd(width)}  ${'now'.padStart(9)}  ${'in dump'.padStart(9)}`);
  for (const n of names)
    lines.push(
      `  ${n.padEnd(width)}  ${String(plan.current.tables[n] ?? '-').padStart(9)}  ${String(m.tables[n] ?? '-').padStart(9)}`,
    );
  return lines;
}
