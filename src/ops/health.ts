/**
 * The readiness of the whole system (`GET /healthz`): a set of named checks, each with its own deadline so
 * that one hung dependency cannot hold the answer, and none started twice — a check still running from an
 * earlier request is awaited again (until its deadline), not started anew, so a stalled database never
 * piles up connections however often the endpoint is polled. (One stuck for 30 deadlines is given up on and
 * started again: a connection lost without a reset may never answer.)
 */

import { redisUrlSecrets } from '../config/redis-url.ts';

/** What one check found. `detail` carries check-specific facts (counts, times) for the JSON answer. */
export interface CheckOutcome {
  ok: boolean;
  /** One line for an operator; never a secret (URLs with passwords are masked by `redactSecrets`). */
  message?: string;
  detail?: Record<string, unknown>;
}

/** A named check; `run` may hang or throw, the runner bounds it. */
export interface HealthCheck {
  name: string;
  run: () => Promise<CheckOutcome>;
}

/** One check in the answer. */
export interface CheckReport {
  status: 'ok' | 'fail';
  latency_ms: number;
  message?: string;
  [detail: string]: unknown;
}

/** The whole answer: `status` is `ok` only when every check is. */
export interface HealthReport {
  status: 'ok' | 'fail';
  /** The failing checks' names, in the checks' order. */
  failing: string[];
  checks: Record<string, CheckReport>;
}

/** A running set of checks (one per web server), queried by `report()`. */
export interface Health {
  report(): Promise<HealthReport>;
}

/** A check running longer than this is given up on and started again (the old run is left to finish). */
const ABANDON_AFTER_TIMEOUTS = 30;

interface Flight {
  startedAt: number;
  done: Promise<{ outcome: CheckOutcome; finishedAt: number }>;
}

/**
 * Builds the runner over `checks`. Each check gets `timeoutMs` from the moment it started: a request that
 * finds it still running waits only for what is left of that, and an answer past the deadline is a failure
 * naming the timeout. A check that finished less than `reuseMs` ago is not run again: its result is the
 * answer (so a flood of requests to a public endpoint asks the database and Redis a bounded number of
 * times). `secrets` (passwords, URLs) are masked in every message.
 * @example const health = createHealth([databaseCheck(db)], { timeoutMs: 1000 }); const r = await health.report();
 */
export function createHealth(
  checks: readonly HealthCheck[],
  opts: { timeoutMs: number; reuseMs?: number; secrets?: readonly (string | null)[]; now?: () => number },
): Health {
  const now = opts.now ?? (() => performance.now());
  const secrets = (opts.secrets ?? []).filter((s): s is string => !!s);
  const flights = new Map<string, Flight>();
  const latest = new Map<string, { startedAt: number; outcome: CheckOutcome; finishedAt: number }>();

  const finished = (startedAt: number, outcome: CheckOutcome, finishedAt: number): CheckReport => ({
    status: outcome.ok ? 'ok' : 'fail',
    latency_ms: Math.round((finishedAt - startedAt) * 10) / 10,
    ...(outcome.message !== undefined && { message: redactSecrets(outcome.message, secrets) }),
    ...outcome.detail,
  });

  const start = (check: HealthCheck): Flight => {
    const startedAt = now();
    const done = Promise.resolve()
      .then(() => check.run())
      .catch((err: unknown): CheckOutcome => ({ ok: false, message: errorMessage(err) }))
      .then((outcome) => ({ outcome, finishedAt: now() }));
    const flight = { startedAt, done };
    flights.set(check.name, flight);
    void done.then((result) => {
      if (flights.get(check.name) === flight) flights.delete(check.name);
      latest.set(check.name, { startedAt, ...result });
    });
    return flight;
  };

  const runOne = async (check: HealthCheck): Promise<CheckReport> => {
    const running = flights.get(check.name);
    const fresh = latest.get(check.name);
    if (!running && fresh && now() - fresh.finishedAt < (opts.reuseMs ?? 0))
      return finished(fresh.startedAt, fresh.outcome, fresh.finishedAt);
    const flight =
      running && now() - running.startedAt < opts.timeoutMs * ABANDON_AFTER_TIMEOUTS ? running : start(check);
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let rearmed = 0;
    const late = new Promise<null>((resolve) => {
      const arm = () => {
        // A timer runs on the event loop's clock, read at the start of a loop turn: it can fire a little before
        // the deadline as `now()` sees it. Re-armed for what is left (a few times at most), no verdict comes early.
        const left = flight.startedAt + opts.timeoutMs - now();
        if (left > 0 && rearmed++ < 3) {
          timer = setTimeout(arm, Math.ceil(left));
          return;
        }
        // The verdict waits for the event loop's I/O phase, which runs after its timers: in a process too busy
        // to look when the deadline passed (the console rendering under load), an answer that came in meanwhile
        // and waits in its socket is read first, instead of being taken for no answer.
        immediate = setImmediate(() => resolve(null));
      };
      arm();
    });
    const result = await Promise.race([flight.done, late]);
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    if (!result) {
      return {
        status: 'fail',
        latency_ms: Math.round(now() - flight.startedAt),
        message: `no answer within ${opts.timeoutMs} ms`,
      };
    }
    return finished(flight.startedAt, result.outcome, result.finishedAt);
  };

  return {
    async report() {
      const reports = await Promise.all(checks.map(runOne));
      const entries = checks.map((c, i) => [c.name, reports[i]!] as const);
      const failing = entries.filter(([, r]) => r.status === 'fail').map(([name]) => name);
      return { status: failing.length ? 'fail' : 'ok', failing, checks: Object.fromEntries(entries) };
    },
  };
}

function errorMessage(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const text = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return text.split('\n')[0]!.slice(0, 300);
}

/**
 * `text` with the password of any URL (`scheme://user:password@host`) and every configured secret masked.
 * @example redactSecrets('connect redis://:pw@h:6379 failed', []) // 'connect redis://:***@h:6379 failed'
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, '$1***@')
    .replace(/([?&]sentinel_password=)[^\s&#]*/gi, '$1***');
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join('***');
    // The passwords alone, as a driver may quote them.
    for (const password of passwordsOf(s)) if (password.length >= 4) out = out.split(password).join('***');
  }
  return out;
}

function passwordsOf(url: string): string[] {
  if (/^rediss?[:+]/i.test(url)) return redisUrlSecrets(url);
  try {
    const p = new URL(url).password;
    return p ? [decodeURIComponent(p)] : [];
  } catch {
    return [];
  }
}
