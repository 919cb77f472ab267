import { isPermanent } from './errors.ts';
import { DEFAULT_ATTEMPTS, QUEUES } from './queue.ts';
import type { Handlers, JobHandle, JobHandler, JobQueue, JobState, NewJob, QueueName, QueueSettings } from './queue.ts';

interface Entry {
  id: string;
  queue: QueueName;
  data: unknown;
  status: JobState['status'];
  attempts: number;
  result?: unknown;
  error?: string | null;
  /** When it was added (ms since the epoch): the age of the oldest waiting job. */
  addedAt: number;
}

/** One queue's jobs in the embedded shape (`InProcessQueue.counts`). */
export interface InProcessCounts {
  waiting: number;
  active: number;
  failed: number;
  /** Seconds since the oldest waiting job was added; null when none waits. */
  oldestWaitingSec: number | null;
}

/**
 * The embedded shape's queue: jobs run in this process, each queue with its own concurrency, ids
 * deduplicated like BullMQ's. A failed attempt is retried (up to the queue's attempts) after a short pause,
 * unless its error is permanent (`PermanentError`, `DeliverError`: failed at once, as under BullMQ).
 */
export class InProcessQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  private readonly jobs = new Map<string, Entry>();
  private readonly waiting = new Map<QueueName, Entry[]>();
  private readonly running = new Map<QueueName, number>();
  private readonly controller = new AbortController();
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly handlers: Handlers;

  /** `handlers` may be given as a function of this queue: the handlers that add follow-up jobs need it. */
  constructor(
    handlers: Handlers | ((queue: JobQueue) => Handlers),
    private readonly settings: Partial<Record<QueueName, Partial<QueueSettings>>> = {},
    private readonly opts: {
      retryDelayMs?: number;
      onError?: (queue: QueueName, id: string, err: Error, final: boolean) => void;
    } = {},
  ) {
    this.handlers = typeof handlers === 'function' ? handlers(this) : handlers;
  }

  async add<T>(queue: QueueName, jobs: NewJob<T>[]): Promise<void> {
    if (this.closed) throw new Error('the in-process queue is closed');
    for (const j of jobs) {
      const key = `${queue}/${j.id}`;
      if (this.jobs.has(key)) continue;
      const entry: Entry = { id: j.id, queue, data: j.data, status: 'pending', attempts: 0, addedAt: Date.now() };
      this.jobs.set(key, entry);
      const list = this.waiting.get(queue) ?? [];
      list.push(entry);
      this.waiting.set(queue, list);
    }
    this.pump(queue);
  }

  async states(queue: QueueName, ids: readonly string[]): Promise<JobState[]> {
    return ids.map((id) => {
      const e = this.jobs.get(`${queue}/${id}`);
      return e
        ? { id, status: e.status, result: e.result, error: e.error ?? null, attempts: e.attempts }
        : { id, status: 'missing', attempts: 0 };
    });
  }

  async cancel(queue: QueueName, ids: readonly string[]): Promise<number> {
    const drop = new Set(ids);
    const list = this.waiting.get(queue) ?? [];
    const keep = list.filter((e) => !drop.has(e.id));
    for (const e of list) if (drop.has(e.id)) this.jobs.delete(`${queue}/${e.id}`);
    this.waiting.set(queue, keep);
    return list.length - keep.length;
  }

  /**
   * Jobs per queue waiting (incl. retries due), running, and failed for good, and the age of the oldest
   * waiting one (the console's status page, `/metrics` in the embedded shape).
   */
  counts(now = Date.now()): Record<QueueName, InProcessCounts> {
    const out = Object.fromEntries(
      QUEUES.map((q) => [q, { waiting: 0, active: 0, failed: 0, oldestWaitingSec: null }]),
    ) as Record<QueueName, InProcessCounts>;
    for (const e of this.jobs.values()) {
      const c = out[e.queue];
      if (e.status === 'pending') {
        c.waiting++;
        const age = Math.max(0, (now - e.addedAt) / 1000);
        c.oldestWaitingSec = Math.max(c.oldestWaitingSec ?? 0, age);
      } else if (e.status === 'active') c.active++;
      else if (e.status === 'failed') c.failed++;
    }
    return out;
  }

  /** Stops taking jobs; waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.waiting.keys()) this.waiting.set(q, []);
    this.controller.abort();
    if ([...this.running.values()].some((n) => n > 0))
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private concurrency(queue: QueueName): number {
    return Math.max(1, this.settings[queue]?.concurrency ?? 1);
  }

  private pump(queue: QueueName): void {
    const list = this.waiting.get(queue) ?? [];
    while (!this.closed && list.length > 0 && (this.running.get(queue) ?? 0) < this.concurrency(queue)) {
      const entry = list.shift()!;
      this.running.set(queue, (this.running.get(queue) ?? 0) + 1);
      void this.execute(entry).finally(() => {
        this.running.set(queue, (this.running.get(queue) ?? 1) - 1);
        if ([...this.running.values()].every((n) => n === 0)) for (const w of this.idleWaiters.splice(0)) w();
        this.pump(queue);
      });
    }
  }

  /** The pause before the attempt after `attempt`: `retryDelayMs` (1 s) doubling. */
  private retryDelay(attempt: number): number {
    return (this.opts.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
  }

  private async execute(entry: Entry): Promise<void> {
    const handler = this.handlers[entry.queue] as JobHandler | undefined;
    const attempts = this.settings[entry.queue]?.attempts ?? DEFAULT_ATTEMPTS[entry.queue];
    entry.status = 'active';
    entry.attempts++;
    const handle: JobHandle = {
      id: entry.id,
      queue: entry.queue,
      attempt: entry.attempts,
      attempts,
      retryIn: (err) =>
        entry.attempts >= attempts || this.closed || isPermanent(err) ? null : this.retryDelay(entry.attempts),
      data: entry.data,
      signal: this.controller.signal,
      updateData: async (data) => {
        entry.data = data;
        handle.data = data;
      },
    };
    try {
      if (!handler) throw new Error(`no handler for queue ${entry.queue}`);
      entry.result = await handler(handle);
      entry.status = 'completed';
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      entry.error = e.message;
      if (this.closed && this.controller.signal.aborted && e.name === 'AbortError') {
        // Abandoned by close(), as the handler was asked to: not a failure worth reporting.
        entry.status = 'failed';
        entry.error = 'aborted: the queue was closed';
        return;
      }
      const final = entry.attempts >= attempts || this.closed || isPermanent(err);
      this.opts.onError?.(entry.queue, entry.id, e, final);
      if (final) {
        entry.status = 'failed';
        return;
      }
      entry.status = 'pending';
      setTimeout(() => {
        if (this.closed) {
          entry.status = 'failed';
          return;
        }
        this.waiting.get(entry.queue)!.push(entry);
        this.pump(entry.queue);
      }, this.retryDelay(entry.attempts)).unref();
    }
  }
}
