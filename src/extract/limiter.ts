/**
 * A provider's sending limits: at most `concurrency` calls in flight and at most `rpm` calls started in any
 * 60-second window (0 = no per-minute limit). Waiters are served first come, first served.
 */
export interface LimiterOptions {
  concurrency: number;
  /** Calls started per rolling minute; 0 = unlimited. */
  rpm: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const WINDOW_MS = 60_000;

export class RateLimiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly starts: number[] = [];
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Serialises the per-minute check so two waiters never take the same free slot. */
  private gate: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The most calls in flight at once. */
  get concurrency(): number {
    return this.opts.concurrency;
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Runs `fn` within the limits. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiter, so a newcomer can never squeeze in between.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < this.opts.concurrency) this.active++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    if (this.opts.rpm > 0) {
      const turn = this.gate.then(() => this.waitForMinuteSlot());
      this.gate = turn.catch(() => {});
      await turn;
    }
  }

  private async waitForMinuteSlot(): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length > 0 && t - this.starts[0]! >= WINDOW_MS) this.starts.shift();
      if (this.starts.length < this.opts.rpm) {
        this.starts.push(t);
        return;
      }
      await this.sleep(this.starts[0]! + WINDOW_MS - t);
    }
  }
}
