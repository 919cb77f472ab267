/**
 * A circuit breaker per provider: after `failures` consecutive failed calls it opens and the chain skips the
 * provider; after `cooldownMs` it lets one trial call through (half-open) — success closes it, failure opens
 * it for another cooldown. A provider that is down then costs one call per cooldown, not one per article.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. @defaultValue 5 */
  failures: number;
  /** How long it stays open before a trial call. @defaultValue 60 000 */
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  private consecutive = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    private readonly opts: BreakerOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.opts.cooldownMs ? 'half_open' : 'open';
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.consecutive;
  }

  /** May a call go out now? In half-open state only one trial call at a time is allowed. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** A call answered: the breaker closes. Returns true when this closed an open breaker. */
  success(): boolean {
    const wasOpen = this.openedAt !== null;
    this.consecutive = 0;
    this.openedAt = null;
    this.trialInFlight = false;
    return wasOpen;
  }

  /** A call failed. Returns true when this failure opened (or re-opened) the breaker. */
  failure(): boolean {
    this.consecutive++;
    const trial = this.trialInFlight;
    this.trialInFlight = false;
    if (trial || (this.openedAt === null && this.consecutive >= this.opts.failures)) {
      this.openedAt = this.now();
      return true;
    }
    return false;
  }

  /** A call that never reached a verdict (aborted): frees a half-open trial slot. */
  release(): void {
    this.trialInFlight = false;
  }
}
