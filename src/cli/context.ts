import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/client.ts';
import type { Mailer } from '../deliver/index.ts';
import type { Logger } from '../log.ts';

// The command modules import nothing heavy at their top: `finrep --help` registers every command and must
// start at once, and `finrep sources` has no use for React or BullMQ. Libraries load when an action runs —
// here (configuration, logger, database, mailer) and in the actions themselves (`await import(…)`).

/** What a command needs: configuration, a logger and (opened on demand) the database. */
export interface Context {
  config: Config;
  log: Logger;
}

/**
 * Loads the configuration and creates the logger (at `level`, or the configured one). Unless `database` is
 * false or the environment names PostgreSQL, the embedded database's thread starts first: PGlite loads and
 * compiles there (most of a listing command's time) while the configuration, logger and drizzle load here.
 * A `.env` naming DATABASE_URL ends that thread unused (`openDatabase`).
 */
export async function createContext(opts: { level?: string; database?: boolean } = {}): Promise<Context> {
  if (opts.database !== false) {
    const [{ environmentNamesPostgres }, { ThreadedPglite }] = await Promise.all([
      import('../config/early.ts'),
      import('../db/pglite-client.ts'),
    ]);
    if (!environmentNamesPostgres()) ThreadedPglite.preload();
  }
  const [{ loadConfig }, { createLogger }] = await Promise.all([import('../config/index.ts'), import('../log.ts')]);
  const config = loadConfig();
  return { config, log: createLogger({ level: opts.level ?? config.logLevel, pretty: process.stderr.isTTY === true }) };
}

export async function openDb(ctx: Context): Promise<Database> {
  const { openDatabase } = await import('../db/client.ts');
  const { databaseUrl, dataDir, databasePoolSize: poolSize } = ctx.config;
  return openDatabase({ databaseUrl, dataDir, poolSize });
}

/** Runs `fn` with the configured database open (logs at warn), and closes it whatever `fn` does. */
export async function withDatabase<T>(fn: (database: Database, ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await createContext({ level: 'warn' });
  const database = await openDb(ctx);
  try {
    return await fn(database, ctx);
  } finally {
    await database.close();
  }
}

/** The secret that signs unsubscribe links: `JWT_SECRET_KEY`, or one generated once into the data folder. */
export function signingSecret(config: Config): string {
  if (config.jwt.secretKey) return config.jwt.secretKey;
  const file = path.join(config.dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/**
 * SMTP when `SMTP_HOST` is set, otherwise `.eml` files in `FINREP_DATA_DIR/outbox/<edition>/`. SMTP keeps
 * `concurrency` connections (default: what `MAIL_RATE_LIMIT_PER_SEC` needs), each sending `MAIL_BATCH_LIMIT`
 * messages before it is replaced.
 */
export async function createMailer(
  ctx: Context,
  edition: string,
  opts: { concurrency?: number } = {},
): Promise<Mailer> {
  const { smtp, mail } = ctx.config;
  const { createOutboxMailer, createSmtpMailer, defaultConcurrency } = await import('../deliver/index.ts');
  if (smtp.host) {
    return createSmtpMailer(
      {
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : {}),
        maxMessages: mail.batchLimit,
        maxConnections: opts.concurrency ?? defaultConcurrency(mail.ratePerSec),
        tls: { rejectUnauthorized: smtp.rejectUnauthorized },
      },
      { log: ctx.log },
    );
  }
  return createOutboxMailer(path.join(ctx.config.dataDir, 'outbox', edition), { log: ctx.log });
}
