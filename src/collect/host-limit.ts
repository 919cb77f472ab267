/**
 * A keyed semaphore: at most N requests in flight per host, shared by every source of a run, so a hundred
 * sources on one publisher never hit it with more than N connections at once (politeness, and fewer 429s).
 */

/** Limits concurrent work per key (a host name). */
export interface HostLimiter {
  /** Runs `fn` once a slot for `host` is free; a waiter leaves the queue when `signal` aborts. */
  run<T>(host: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Takes a slot for `host` once one is free and returns its release (to call exactly once): for work that
   * moves from host to host, as a request following redirects does.
   */
  acquire(host: string, signal?: AbortSignal): Promise<() => void>;
  /** Requests in flight for `host` (for tests and metrics). */
  inFlight(host: string): number;
}

interface Slot {
  active: number;
  waiting: (() => void)[];
}

/**
 * Creates a limiter allowing `perHost` concurrent calls per host.
 *
 * @example const limiter = createHostLimiter(2); await limiter.run(new URL(url).hostname, () => request(url));
 */
export function createHostLimiter(perHost: number): HostLimiter {
  const limit = Math.max(1, Math.floor(perHost));
  const slots = new Map<string, Slot>();

  const acquire = (host: string, signal?: AbortSignal): Promise<void> => {
    let slot = slots.get(host);
    if (!slot) slots.set(host, (slot = { active: 0, waiting: [] }));
    if (slot.active < limit) {
      slot.active++;
      return Promise.resolve();
    }
    const s = slot;
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = () => {
        s.waiting = s.waiting.filter((w) => w !== grant);
        reject(signal!.reason as Error);
      };
      // The releasing call hands its slot over: `active` stays the same.
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      s.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  const release = (host: string): void => {
    const slot = slots.get(host)!;
    const next = slot.waiting.shift();
    if (next) return next();
    if (--slot.active === 0) slots.delete(host);
  };

  return {
    async run(host, fn, signal) {
      const key = host.toLowerCase();
      await acquire(key, signal);
      try {
        return await fn();
      } finally {
        release(key);
      }
    },
    async acquire(host, signal) {
      const key = host.toLowerCase();
      await acquire(key, signal);
      let released = false;
      return () => {
        if (!released) {
          released = true;
          release(key);
        }
      };
    },
    inFlight: (host) => slots.get(host.toLowerCase())?.active ?? 0,
  };
}
