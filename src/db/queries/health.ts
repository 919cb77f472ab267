/** The statements of the health checks, and the PostgreSQL connection `/healthz` pings on. */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Db } from '../client.ts';

/** `select 1` through the pool: the database answers queries (`/healthz` on PGlite, or a database without a URL). */
export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

/** A PostgreSQL connection of the health check's own, outside the application's pool. */
export interface PingConnection {
  /** `select 1` on the connection (opened on first use, and again after it died). */
  ping(): Promise<void>;
  /** Ends the connection; a ping after this fails. */
  close(): Promise<void>;
}

/** The session name operators see in `pg_stat_activity` for the health check's connection. */
export const HEALTH_APPLICATION_NAME = 'finrep-health';

/**
 * One connection to `url` for the health check, so that a web process whose own pool is busy (every
 * connection checked out by the console's requests) is not read as a database that does not answer. At most
 * one ping is in flight (a ping asked while one runs shares it), so a stalled server holds one connection,
 * never one per poll. A connection that errs, or whose ping has not answered within `giveUpMs`, is dropped
 * (its socket destroyed) and the next ping opens a new one: a connection lost without a reset is replaced
 * rather than waited on for ever. The caller bounds each ping's wait with its own, shorter deadline.
 * @example const conn = pingConnection(url, { giveUpMs: 10_000 }); await conn.ping(); await conn.close();
 */
export function pingConnection(
  url: string,
  opts: {
    /** A ping (or the connect before it) not answered by then ends its connection. */
    giveUpMs: number;
    /** @defaultValue 'finrep-health' */
    applicationName?: string;
  },
): PingConnection {
  /** The connection, and its connect (settled once it is up or failed). */
  let conn: { client: pg.Client; ready: Promise<void> } | null = null;
  let inFlight: Promise<void> | null = null;
  let closed = false;

  /** Forgets `c` and ends it: with a query outstanding, or before it is up, end() destroys the socket at once. */
  const drop = (c: pg.Client) => {
    if (conn?.client === c) conn = null;
    void c.end().catch(() => {});
  };

  const open = async () => {
    const { default: pgDriver } = await import('pg');
    if (closed) throw new Error('health connection closed');
    const client = new pgDriver.Client({
      connectionString: url,
      application_name: opts.applicationName ?? HEALTH_APPLICATION_NAME,
      connectionTimeoutMillis: opts.giveUpMs,
      statement_timeout: opts.giveUpMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // A connection that errs while idle (the server restarted, the backend was terminated) is replaced.
    client.on('error', () => drop(client));
    client.on('end', () => drop(client));
    const ready = client.connect().then(
      () => {},
      (err: unknown) => {
        drop(client);
        throw err;
      },
    );
    const opened = { client, ready };
    conn = opened;
    return opened;
  };

  const once = async (): Promise<void> => {
    const { client, ready } = conn ?? (await open());
    await ready;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('select 1'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`health connection: no answer within ${opts.giveUpMs} ms; reconnecting`)),
            opts.giveUpMs,
          );
        }),
      ]);
    } catch (err) {
      drop(client);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    ping() {
      if (closed) return Promise.reject(new Error('health connection closed'));
      inFlight ??= once().finally(() => (inFlight = null));
      return inFlight;
    },
    async close() {
      closed = true;
      const current = conn;
      conn = null;
      if (!current) return;
      // A stalled server never acknowledges the goodbye: the wait is bounded (and the process's own end
      // takes the socket).
      let timer: NodeJS.Timeout | undefined;
      const ended = current.client.end().catch(() => {});
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
      await Promise.race([ended, gaveUp]);
      clearTimeout(timer);
    },
  };
}
