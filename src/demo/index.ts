/**
 * The demo world: realistic (fictional) Chinese financial feeds and sites served over real HTTP on
 * 127.0.0.1, so that `npm run demo` produces a real morning report with no network and no keys.
 */
import { placeArticles } from './articles/index.ts';
import { buildRoutes } from './routes.ts';
import { startServer } from './server.ts';
import { DEMO_RECIPIENTS, demoSources } from './seeds.ts';
import type { DemoRecipientSeed, DemoSourceSeed } from './seeds.ts';

export type { DemoRecipientSeed, DemoSourceSeed };

/** A running demo world. */
export interface DemoWorld {
  /** `http://127.0.0.1:<port>` (or the base URL it was given), without a trailing slash. */
  baseUrl: string;
  port: number;
  sources: DemoSourceSeed[];
  recipients: DemoRecipientSeed[];
  close(): Promise<void>;
}

/**
 * Starts the demo world.
 * anchor: the edition cut-off; every article's time is anchor minus its hoursAgo.
 * port: 0 = ephemeral (a given port is tried first, falling back to ephemeral if it is taken).
 * timezone: the zone of local times on pages and in Chinese dates. @defaultValue 'Asia/Shanghai'
 * host: the address to listen on. @defaultValue '127.0.0.1'
 * baseUrl: how the collectors reach it when not at `http://127.0.0.1:<port>` (e.g. `http://demo:8090` in a
 * compose network); links on its pages and its sources use it.
 *
 * @example
 * const world = await startDemoWorld({ anchor: new Date() });
 * // seed world.sources, run the pipeline, then:
 * await world.close();
 */
export async function startDemoWorld(opts: {
  anchor: Date;
  port?: number;
  timezone?: string;
  host?: string;
  baseUrl?: string;
}): Promise<DemoWorld> {
  const timezone = opts.timezone ?? 'Asia/Shanghai';
  const server = await startServer(opts.port ?? 0, opts.host);
  const baseUrl = opts.baseUrl?.replace(/\/+$/, '') ?? `http://127.0.0.1:${server.port}`;
  const routes = buildRoutes(placeArticles(opts.anchor, timezone), baseUrl, opts.anchor, timezone);
  for (const [path, r] of routes) server.routes.set(path, r);
  return {
    baseUrl,
    port: server.port,
    sources: demoSources(baseUrl, timezone),
    recipients: DEMO_RECIPIENTS.map((r) => ({ ...r, groups: [...r.groups] })),
    close: server.close,
  };
}
