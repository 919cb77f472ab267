import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, releaseDatabaseMemory } from './client.ts';
import { ThreadedPglite } from './pglite-client.ts';
import type { Database } from './client.ts';

const rowsOf = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[];

/** The embedded database as `finrep run` opens it (PGlite in `FINREP_DATA_DIR`), whatever FINREP_TEST_DB says. */
describe('the embedded database runs on a thread of its own', () => {
  let dataDir: string;
  let database: Database;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-pglite-thread-'));
    database = await openDatabase({ databaseUrl: null, dataDir });
  }, 180_000);
  afterAll(async () => {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers an HTTP request while a long statement runs (the event loop is not held by the database)', async () => {
    const server = createServer((_req, res) => res.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const order: string[] = [];
    try {
      // Seconds of work for PostgreSQL; the request below needs a few turns of this thread's event loop.
      const long = database.db
        .execute(sql`select count(*) from generate_series(1, 5000000) g where g % 7 = 3`)
        .then(() => order.push('query'));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const ping = fetch(url)
        .then((r) => r.text())
        .then((t) => order.push(`http ${t}`));
      await Promise.all([long, ping]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(order).toEqual(['http pong', 'query']);
  }, 180_000);

  it("keeps PostgreSQL's error fields and rolls a failed transaction back", async () => {
    const err = (await database.db.execute(sql`select * from no_such_table`).catch((e: unknown) => e)) as Error & {
      cause?: { code?: string; severity?: string };
    };
    expect(err.cause?.code).toBe('42P01');
    expect(err.cause?.severity).toBe('ERROR');

    await database.db.execute(sql`create table t_thread (v int primary key)`);
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into t_thread values (1)`);
        await tx.execute(sql`insert into t_thread values (1)`); // duplicate key: the whole transaction goes
      }),
    ).rejects.toThrow();
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into t_thread values (2)`);
    });
    expect(rowsOf(await database.db.execute(sql`select v from t_thread order by v`))).toEqual([{ v: 2 }]);
  }, 60_000);

  it('keeps its data, and makes statements wait, while its thread is replaced to give memory back', async () => {
    await database.db.execute(sql`create table t_restart (v text)`);
    await database.db.execute(sql`insert into t_restart values ('before')`);
    const restart = releaseDatabaseMemory(database.db);
    const during = database.db.execute(sql`insert into t_restart values ('during')`);
    await Promise.all([restart, during]);
    expect(rowsOf(await database.db.execute(sql`select v from t_restart order by v`)).map((r) => r.v)).toEqual([
      'before',
      'during',
    ]);
    // The replacement instantiated the WebAssembly its predecessor compiled instead of compiling its own.
    const client = (database.db as unknown as { $client: ThreadedPglite }).$client;
    expect(client).toBeInstanceOf(ThreadedPglite);
    expect(client.compiledItsOwnCode).toBe(false);
  }, 120_000);

  it("runs statements in the order they were issued, a transaction's with nothing in between", async () => {
    await database.db.execute(sql`create table t_order (n int)`);
    const tx = database.db.transaction(async (t) => {
      await t.execute(sql`insert into t_order values (1)`);
      await new Promise((r) => setTimeout(r, 50)); // another statement is issued meanwhile: it must wait
      await t.execute(sql`insert into t_order values (2)`);
    });
    const outside = database.db.execute(sql`insert into t_order values (3)`);
    await Promise.all([tx, outside]);
    expect(rowsOf(await database.db.execute(sql`select n from t_order`)).map((r) => r.n)).toEqual([1, 2, 3]);
  }, 60_000);
});

/** A listing command starts PGlite's thread before its configuration is loaded (cli/context.ts). */
describe('a database thread started ahead of time', () => {
  it('opens the folder it is given later, migrates it and keeps its data for the next open', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-pglite-preload-'));
    try {
      ThreadedPglite.preload();
      const first = await openDatabase({ databaseUrl: null, dataDir });
      try {
        await first.db.execute(
          sql`insert into sources (key, name, kind, url) values ('k', 'n', 'rss', 'http://127.0.0.1/feed')`,
        );
      } finally {
        await first.close();
      }
      ThreadedPglite.preload();
      const again = await openDatabase({ databaseUrl: null, dataDir });
      try {
        expect(rowsOf(await again.db.execute(sql`select key from sources`))).toEqual([{ key: 'k' }]);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('reports a folder it cannot open as an error of the open, not a hang', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-pglite-preload-'));
    try {
      ThreadedPglite.preload();
      // A file where PGlite's folder should be.
      writeFileSync(path.join(dataDir, 'file'), '');
      await expect(ThreadedPglite.open(path.join(dataDir, 'file', 'pglite'), [])).rejects.toThrow();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
