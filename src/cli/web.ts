import type { Command } from 'commander';
import type { Database } from '../db/client.ts';
import type { WebDeps, WebStatus } from '../web/deps.ts';
import { CliError } from './errors.ts';
import { createContext, openDb, signingSecret } from './context.ts';
import type { Context } from './context.ts';

/** A listening web server and the means to stop it. */
export interface RunningWeb {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the web server on WEB_HOST:WEB_PORT (or `at`) over an open database: `finrep web` runs it alone,
 * `finrep start` beside the scheduler and the pipeline.
 */
export async function startWeb(
  ctx: Context,
  database: Database,
  at: { host?: string; port?: number } = {},
  hooks: Pick<WebDeps, 'startEdition' | 'jobQueue'> = {},
  status: Pick<WebStatus, 'queueCounts'> = {},
): Promise<RunningWeb> {
  const [{ buildServer }, { createStatusReader }, { startStatusSampler }] = await Promise.all([
    import('../web/server.ts'),
    import('../ops/status.ts'),
    import('../ops/status-sampler.ts'),
  ]);
  // One status reader per process, shared by /admin/status and the sampler of its trends.
  const reader = createStatusReader({ config: ctx.config, db: database.db, log: ctx.log, ...status });
  const app = await buildServer({
    config: ctx.config,
    db: database.db,
    log: ctx.log,
    secret: signingSecret(ctx.config),
    ...hooks,
    ...status,
    status: reader,
  });
  const host = at.host ?? ctx.config.web.host;
  const port = at.port ?? ctx.config.web.port;
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot listen on ${host}:${port} (${code ?? (err as Error).message})`, { cause: err });
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  ctx.log.info({ url, database: database.kind }, 'web: listening');
  const sampler = startStatusSampler({ db: database.db, log: ctx.log, read: reader.read });
  return {
    url,
    close: async () => {
      await sampler.stop();
      await app.close();
      await reader.close();
    },
  };
}

/** `finrep web`: the web admin, the mail links and the JSON API, in its own process. */
export function registerWeb(program: Command): void {
  program
    .command('web')
    .description('serve the web admin, mail links (unsubscribe, web view) and the JSON API on WEB_HOST:WEB_PORT')
    .option('--host <host>', 'listen address (default WEB_HOST)')
    .option('--port <port>', 'listen port (default WEB_PORT, 8000)')
    .action(async (flags: { host?: string; port?: string }) => {
      const port = flags.port === undefined ? undefined : Number(flags.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
        throw new CliError('--port: expected an integer from 0 to 65535');
      const ctx = await createContext();
      const hold = setInterval(() => {}, 1 << 30);
      // The server's modules load while the database opens (PGlite starts in its own thread; PostgreSQL
      // answers over the network): startWeb's import then finds them loaded.
      import('../web/server.ts').catch(() => {});
      const database = await openDb(ctx);
      try {
        const web = await startWeb(ctx, database, { host: flags.host, port });
        await new Promise<void>((resolve) => {
          const stop = (sig: NodeJS.Signals) => {
            ctx.log.info({ signal: sig }, 'web: stopping');
            resolve();
          };
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        await web.close();
      } finally {
        await database.close();
        clearInterval(hold);
      }
    });
}
