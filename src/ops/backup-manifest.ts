/**
 * What a backup is: `finrep_YYYYMMDD_HHMMSS.sql.gz` (PostgreSQL, plain SQL from pg_dump) or `….tar.gz` (the
 * embedded database, PGlite's own dump of its folder), and beside it `….manifest.json` — when, from which
 * database, at which schema version (the last applied migration), with how many rows per table. Restore reads
 * the manifest to refuse a dump from a newer finrep and to say what it would replace.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zonedParts } from '../lib/time.ts';

/** A backup's kind: which database made it, and so which one it restores into. */
export type BackupKind = 'postgres' | 'pglite';

/** The schema a dump holds: drizzle's count of applied migrations, the newest one's journal time and tag. */
export interface SchemaVersion {
  migrations: number;
  when: number;
  tag: string;
}

/** The manifest written next to every dump (`….manifest.json`). */
export interface BackupManifest {
  format: 1;
  kind: BackupKind;
  /** The dump's file name (same folder). */
  file: string;
  createdAt: string;
  timeZone: string;
  schema: SchemaVersion | null;
  /** Rows per table when the dump was taken (PostgreSQL: in the dump's own snapshot). */
  tables: Record<string, number>;
  /** `major.minor` of the server (PostgreSQL) or PGlite's PostgreSQL. */
  serverVersion: string | null;
  /** pg_dump's own version line (PostgreSQL only). */
  dumpTool: string | null;
  bytes: number;
  sha256: string;
}

const NAME = /^finrep_(\d{8})_(\d{6})\.(sql\.gz|tar\.gz|manifest\.json)$/;
const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../db/migrations');

const pad = (n: number) => String(n).padStart(2, '0');

/** `finrep_YYYYMMDD_HHMMSS` at `at` in `timeZone` (the editions' zone, so names read like the schedule). */
export function backupStem(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `finrep_${p.year}${pad(p.month)}${pad(p.day)}_${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
}

/** The dump's file name for a stem and kind. */
export function dumpName(stem: string, kind: BackupKind): string {
  return `${stem}.${kind === 'postgres' ? 'sql.gz' : 'tar.gz'}`;
}

/** Whether `name` is one of finrep's backup files (dump or manifest): the only files retention deletes. */
export function isBackupFile(name: string): boolean {
  return NAME.test(name);
}

/** The manifest's path for a dump's path (`x.sql.gz` → `x.manifest.json`). */
export function manifestPathOf(dumpPath: string): string {
  return dumpPath.replace(/\.(sql|tar)\.gz$/, '') + '.manifest.json';
}

/** The kind a dump's name says (`.sql.gz` PostgreSQL, `.tar.gz` PGlite), or null for another name. */
export function kindOfName(file: string): BackupKind | null {
  if (file.endsWith('.sql.gz')) return 'postgres';
  if (file.endsWith('.tar.gz')) return 'pglite';
  return null;
}

interface JournalEntry {
  when: number;
  tag: string;
}

let journal: JournalEntry[] | null = null;

/** The migrations this finrep knows (drizzle's journal), oldest first. */
export function knownMigrations(): JournalEntry[] {
  journal ??= (
    JSON.parse(readFileSync(path.join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: JournalEntry[] }
  ).entries
    .map((e) => ({ when: e.when, tag: e.tag }))
    .sort((a, b) => a.when - b.when);
  return journal;
}

/** The schema version of a database from what drizzle recorded (null for a database never migrated). */
export function schemaVersion(applied: { count: number; when: number } | null): SchemaVersion | null {
  if (!applied) return null;
  const entry = knownMigrations().find((e) => e.when === applied.when);
  return { migrations: applied.count, when: applied.when, tag: entry?.tag ?? `unknown (${applied.when})` };
}

/** Whether a dump's schema is newer than this finrep's newest migration (restoring it would break the next start). */
export function isNewerSchema(schema: SchemaVersion | null): boolean {
  if (!schema) return false;
  const known = knownMigrations();
  return schema.when > known[known.length - 1]!.when;
}

export async function writeManifest(file: string, manifest: BackupManifest): Promise<void> {
  await writeFile(file, JSON.stringify(manifest, null, 2) + '\n');
}

/** The manifest beside a dump, or null when there is none (a dump copied alone). */
export async function readManifest(dumpPath: string): Promise<BackupManifest | null> {
  try {
    return JSON.parse(await readFile(manifestPathOf(dumpPath), 'utf8')) as BackupManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path.basename(manifestPathOf(dumpPath))}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
