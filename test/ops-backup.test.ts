import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { openDatabase } from '../src/db/client.ts';
import type { Database } from '../src/db/client.ts';
import { editionsQ, housekeepingQ } from '../src/db/queries/index.ts';
import { createOutboxMailer } from '../src/deliver/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { createBackup } from '../src/ops/backup.ts';
import type { BackupResult } from '../src/ops/backup.ts';
import { knownMigrations } from '../src/ops/backup-manifest.ts';
import { checkDumpCompatible, libpqEnv } from '../src/ops/backup-tools.ts';
import { restorePostgres } from '../src/ops/restore-pg.ts';
import { restorePglite } from '../src/ops/restore-pglite.ts';
import { describePlan, planRestore } from '../src/ops/restore.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { renderWebView } from '../src/report/index.ts';
import { loadReportModel } from '../src/report/stored-model.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const DATE = '2025-11-10';
const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');
const ADMIN_URL = process.env.FINREP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = silentLogger();

/** Drops and re-creates the test's PostgreSQL database: the wipe of the round trip. */
async function recreateDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const name = new URL(url).pathname.slice(1);
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
}

describe('pg_dump and psql get the connection through libpq environment variables', () => {
  it('keeps the password off the command line', () => {
    const env = libpqEnv('postgresql://fin%20rep:p%40ss%2Fw@db.internal:6543/finrep?sslmode=require', {
      PATH: '/bin',
      PGPASSWORD: 'stale',
    });
    expect(env).toMatchObject({
      PATH: '/bin',
      PGHOST: 'db.internal',
      PGPORT: '6543',
      PGUSER: 'fin rep',
      PGPASSWORD: 'p@ss/w',
      PGDATABASE: 'finrep',
      PGSSLMODE: 'require',
    });
  });

  it('says which client to install when pg_dump is older than the server', () => {
    expect(() => checkDumpCompatible(15, 160004)).toThrow(
      'pg_dump 15 cannot dump a PostgreSQL 16 server: install postgresql-client-16',
    );
    expect(() => checkDumpCompatible(15, 150020)).not.toThrow();
    expect(() => checkDumpCompatible(16, 150020)).not.toThrow();
  });
});

describe(`backup → wipe → restore of an edition (${TEST_DB})`, () => {
  let t: TestDatabase;
  let config: ReturnType<typeof loadConfig>;
  let outDir: string;
  let before: Record<string, number>;
  let backup: BackupResult;
  let restored: Database | null = null;

  beforeAll(async () => {
    t = await createTestDatabase();
    outDir = mkdtempSync(path.join(tmpdir(), 'finrep-backup-'));
    config = loadConfig(
      {
        FINREP_DATA_DIR: t.dataDir,
        MAIL_RATE_LIMIT_PER_SEC: '50',
        ...(t.databaseUrl && { DATABASE_URL: t.databaseUrl }),
      },
      { envFile: null },
    );
    const { to } = editionWindow(DATE, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: 24 });
    const world = await startDemoWorld({ anchor: to, timezone: config.timeZone });
    try {
      const keys = await seedDemo(t.db, world);
      const mailer = createOutboxMailer(path.join(t.dataDir, 'outbox', DATE), { log });
      const summary = await runEdition(
        { db: t.db, config, log, now: () => new Date(), mailer, secret: 'test-secret-0123456789' },
        { date: DATE, sourceKeys: keys },
      ).finally(() => mailer.close());
      expect(summary.status).toBe('ok');
    } finally {
      await world.close();
    }
    before = await housekeepingQ.tableRowCounts(t.db);
    backup = await createBackup({ database: t, config, log, now: () => new Date('2025-11-10T23:00:05Z') }, { outDir });
  }, 300_000);
  afterAll(async () => {
    await restored?.close();
    await t?.drop();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('writes a dump named after the time in TZ and a manifest with the schema and the row counts', () => {
    const ext = TEST_DB === 'postgres' ? 'sql.gz' : 'tar.gz';
    expect(path.basename(backup.file)).toBe(`finrep_20251111_070005.${ext}`);
    expect(path.basename(backup.manifestFile)).toBe('finrep_20251111_070005.manifest.json');
    const manifest = JSON.parse(readFileSync(backup.manifestFile, 'utf8'));
    expect(manifest).toMatchObject({ kind: TEST_DB, file: path.basename(backup.file), tables: before });
    expect(manifest.schema.tag).toBe(knownMigrations().at(-1)!.tag);
    expect(before.articles).toBeGreaterThanOrEqual(150);
    expect(before.report_items).toBeGreaterThanOrEqual(10);
    expect(before.delivery_log).toBe(3);
  });

  it.runIf(TEST_DB === 'postgres')(
    'makes plain SQL that the seed recipe (gunzip | psql) reads, without the password',
    () => {
      const text = gunzipSync(readFileSync(backup.file)).toString('utf8');
      expect(text.split('\n', 1)[0]).toMatch(/^-- finrep-backup: \{"format":1,"kind":"postgres"/);
      expect(text.includes('CREATE TABLE public.articles (')).toBe(true);
      expect(text.slice(-300)).toContain('-- PostgreSQL database dump complete');
      expect(backup.manifest.dumpTool).toMatch(/^pg_dump \(PostgreSQL\) 15\./);
    },
  );

  it('says what a restore would replace and refuses damaged, foreign or newer dumps', async () => {
    const plan = await planRestore(t, t.dataDir, backup.file);
    expect(plan.current.tables).toEqual(before);
    const lines = describePlan(plan).join('\n');
    expect(lines).toMatch(new RegExp(`articles\\s+${before.articles}\\s+${before.articles}`));

    const cut = path.join(outDir, 'finrep_20250101_000000.' + (TEST_DB === 'postgres' ? 'sql.gz' : 'tar.gz'));
    const whole = readFileSync(backup.file);
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(planRestore(t, t.dataDir, cut)).rejects.toThrow(/is damaged: it ends too early \(truncated\)/);
    writeFileSync(cut, Buffer.from('not gzip at all'));
    await expect(planRestore(t, t.dataDir, cut)).rejects.toThrow(/is damaged: it is not a gzip file/);

    writeFileSync(cut, whole);
    const newer = { ...backup.manifest, schema: { migrations: 99, when: Date.now() + 1e12, tag: '0099_future' } };
    writeFileSync(cut.replace(/\.(sql|tar)\.gz$/, '.manifest.json'), JSON.stringify(newer));
    await expect(planRestore(t, t.dataDir, cut)).rejects.toThrow(/comes from a newer finrep \(schema 0099_future/);

    const other = path.join(outDir, 'finrep_20250101_000001.' + (TEST_DB === 'postgres' ? 'tar.gz' : 'sql.gz'));
    writeFileSync(other, whole);
    await expect(planRestore(t, t.dataDir, other)).rejects.toThrow(
      TEST_DB === 'postgres' ? /PGlite\) backup: restore it with DATABASE_URL unset/ : /is a PostgreSQL dump/,
    );
  });

  it('restores the same rows into a wiped database, and the edition renders', async () => {
    await t.close();
    if (TEST_DB === 'postgres') {
      await recreateDatabase(t.databaseUrl!);
      await restorePostgres(t.databaseUrl!, backup.file);
    } else {
      rmSync(path.join(t.dataDir, 'pglite'), { recursive: true, force: true });
      expect(await restorePglite(t.dataDir, backup.file)).toBeNull();
    }
    restored = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
    expect(await housekeepingQ.tableRowCounts(restored.db)).toEqual(before);

    const edition = await editionsQ.findEditionByDate(restored.db, DATE);
    expect(edition?.status).toBe('delivered');
    const html = await renderWebView(loadReportModel(edition!.model!));
    expect(html).toContain('今日要闻');
    expect(await editionsQ.countReportItems(restored.db, edition!.id)).toBe(before.report_items);
    // The top story's title, read from the restored rows, is in the rendered report.
    const top = (await restored.db.execute(
      sql`select a.title from report_items ri join articles a on a.id = ri.article_id
          where ri.edition_id = ${edition!.id} and ri.top order by ri.rank limit 1`,
    )) as unknown as { rows: { title: string }[] };
    expect(html).toContain(top.rows[0]!.title.replaceAll('&', '&amp;'));
    await restored.close();
    restored = null;
  });

  it('`finrep restore` without --yes prints the plan and exits non-zero', () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      FINREP_DATA_DIR: t.dataDir,
      LOG_LEVEL: 'warn',
      ...(t.databaseUrl && { DATABASE_URL: t.databaseUrl }),
    };
    const r = spawnSync(process.execPath, [BIN, 'restore', backup.file], { encoding: 'utf8', env, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`restore ${path.basename(backup.file)}`);
    expect(r.stderr).toMatch(new RegExp(`articles\\s+${before.articles}\\s+${before.articles}`));
    expect(r.stderr).toContain('nothing was changed: run again with --yes to restore');
  });
});
