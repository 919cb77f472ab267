/**
 * The traffic of `bench/load.ts`: a fixed pool of N keep-alive connections to one web server on loopback
 * (undici), each with one request in flight at a time, asking again as soon as it has its answer (a closed
 * loop: N requests always in flight). Connection n walks the route list round-robin from route n, so every
 * route is asked by a share of the connections at every moment, as a crowd of users spread over the console
 * would. Every answer's latency, status and time are kept per route; a socket error or timeout counts as a
 * failure, as does any status of 400 or more. A route may also say what a good answer carries (`degraded`):
 * a 2xx answer without it is counted apart (not as a failure), as `/metrics` without its database figures.
 */
import { Pool } from 'undici';
import { quantile, round } from './results.ts';

export interface LoadRoute {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** True when a 2xx answer's body lacks what it should carry (the route answered, but degraded). */
  degraded?: (body: string) => boolean;
}

/** One answer (or failure) of a route: when it ended (ms since the load began), how long it took, its status (0: no answer). */
export interface LoadSample {
  at: number;
  ms: number;
  status: number;
  error?: string;
  /** A 2xx answer that `LoadRoute.degraded` found wanting. */
  degraded?: true;
}

export interface RouteStats {
  name: string;
  path: string;
  requests: number;
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Answers of 400 or more, and requests without an answer (socket error, timeout). */
  failed: number;
  error_rate: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** 2xx answers found degraded (only for a route with a `degraded` test). */
  degraded?: number;
}

/** Drives the routes for `seconds` over `connections` connections; returns every sample by route. */
export async function driveRoutes(o: {
  base: string;
  routes: LoadRoute[];
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** A request without its answer after this long fails. @defaultValue 30 000 */
  timeoutMs?: number;
}): Promise<{ samples: LoadSample[][]; elapsedS: number }> {
  const timeout = o.timeoutMs ?? 30_000;
  const pool = new Pool(o.base, {
    connections: o.connections,
    pipelining: 1,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connectTimeout: timeout,
  });
  const samples: LoadSample[][] = o.routes.map(() => []);
  const start = performance.now();
  const end = start + o.seconds * 1000;
  const client = async (n: number) => {
    for (let i = n; performance.now() < end; i++) {
      const r = i % o.routes.length;
      const route = o.routes[r]!;
      const t = performance.now();
      try {
        const res = await pool.request({
          path: route.path,
          method: 'GET',
          headers: { ...o.headers, ...route.headers },
        });
        const degraded =
          route.degraded && res.statusCode < 300
            ? route.degraded(await res.body.text())
            : (await res.body.arrayBuffer(), false);
        const now = performance.now();
        samples[r]!.push({ at: now - start, ms: now - t, status: res.statusCode, ...(degraded && { degraded }) });
      } catch (err) {
        const now = performance.now();
        const code = (err as { code?: string }).code ?? (err as Error).name;
        samples[r]!.push({ at: now - start, ms: now - t, status: 0, error: code });
      }
    }
  };
  await Promise.all(Array.from({ length: o.connections }, (_, n) => client(n)));
  const elapsedS = (performance.now() - start) / 1000;
  await pool.close();
  return { samples, elapsedS };
}

/** Per-route figures of the samples that ended in [fromMs, toMs) of the load. */
export function routeStats(
  routes: LoadRoute[],
  samples: LoadSample[][],
  fromMs = 0,
  toMs = Number.POSITIVE_INFINITY,
): RouteStats[] {
  const spanS = (Math.min(toMs, Math.max(0, ...samples.flat().map((s) => s.at))) - fromMs) / 1000;
  return routes.map((route, i) => {
    const mine = samples[i]!.filter((s) => s.at >= fromMs && s.at < toMs);
    const times = mine.map((s) => s.ms).sort((a, b) => a - b);
    const statuses: Record<string, number> = {};
    const errors: Record<string, number> = {};
    let failed = 0;
    for (const s of mine) {
      if (s.status === 0) errors[s.error ?? 'error'] = (errors[s.error ?? 'error'] ?? 0) + 1;
      else statuses[s.status] = (statuses[s.status] ?? 0) + 1;
      if (s.status === 0 || s.status >= 400) failed++;
    }
    return {
      name: route.name,
      path: route.path,
      requests: mine.length,
      rps: spanS > 0 ? round(mine.length / spanS, 1) : 0,
      p50_ms: round(quantile(times, 0.5), 1),
      p95_ms: round(quantile(times, 0.95), 1),
      p99_ms: round(quantile(times, 0.99), 1),
      max_ms: round(times.at(-1) ?? Number.NaN, 1),
      failed,
      error_rate: mine.length ? round(failed / mine.length, 4) : 0,
      statuses,
      errors,
      ...(route.degraded && { degraded: mine.filter((s) => s.degraded).length }),
    };
  });
}

/** Everything together, as one row. */
export function totalStats(samples: LoadSample[][], fromMs = 0, toMs = Number.POSITIVE_INFINITY): RouteStats {
  return routeStats([{ name: 'all routes', path: '*' }], [samples.flat()], fromMs, toMs)[0]!;
}
