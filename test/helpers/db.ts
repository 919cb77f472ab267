import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/client.ts';
import type { Database } from '../../src/db/client.ts';

/** Which database the db tests run on: PGlite by default, the local PostgreSQL with FINREP_TEST_DB=postgres. */
export const TEST_DB = process.env.FINREP_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
const ADMIN_URL = process.env.FINREP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated database (a new PostgreSQL database or a new PGlite folder) and its data folder. */
export interface TestDatabase extends Database {
  dataDir: string;
  databaseUrl: string | null;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-test-'));
  let databaseUrl: string | null = null;
  if (TEST_DB === 'postgres') {
    const name = `finrep_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
  }
  const database = await openDatabase({ databaseUrl, dataDir });
  let closed = false;
  return {
    ...database,
    dataDir,
    databaseUrl,
    close: async () => {
      if (!closed) {
        closed = true;
        await database.close();
      }
    },
    async drop() {
      if (!closed) {
        closed = true;
        await database.close();
      }
      rmSync(dataDir, { recursive: true, force: true });
      if (databaseUrl) {
        const admin = new pg.Client({ connectionString: ADMIN_URL });
        await admin.connect();
        await admin.query(`drop database if exists ${new URL(databaseUrl).pathname.slice(1)} with (force)`);
        await admin.end();
      }
    },
  };
}
