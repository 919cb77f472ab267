import { describe, expect, it } from 'vitest';
import { InProcessQueue } from './in-process.ts';
import type { JobHandle, JobHandler, QueueName } from './queue.ts';

/** A promise with its resolve function exposed: a job that runs until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

/** Polls `check` until it holds (the queue runs jobs on the next ticks, not synchronously). */
async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const handlers = (h: JobHandler<never>): Partial<Record<QueueName, JobHandler<never>>> => ({ extract: h, dedup: h });

describe('InProcessQueue', () => {
  it('ignores an id it already knows: waiting, running or completed', async () => {
    const runs: string[] = [];
    const g = gate();
    const q = new InProcessQueue(
      handlers(async (job: JobHandle<{ n: number }>) => {
        runs.push(`${job.id}:${job.data.n}`);
        await g.opened;
        return job.data.n;
      }),
      { extract: { concurrency: 1 } },
    );
    await q.add('extract', [
      { id: 'a', data: { n: 1 } },
      { id: 'b', data: { n: 1 } },
    ]);
    await until(() => runs.length === 1);
    // 'a' is running, 'b' waiting: both are known.
    await q.add('extract', [
      { id: 'a', data: { n: 2 } },
      { id: 'b', data: { n: 2 } },
    ]);
    g.open();
    await until(async () => (await q.states('extract', ['a', 'b'])).every((s) => s.status === 'completed'));
    // And after completion.
    await q.add('extract', [{ id: 'a', data: { n: 3 } }]);
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toEqual(['a:1', 'b:1']);
    expect(await q.states('extract', ['a', 'b'])).toMatchObject([
      { status: 'completed', result: 1, attempts: 1 },
      { status: 'completed', result: 1 },
    ]);
    // The same id on another queue is another job.
    await q.add('dedup', [{ id: 'a', data: { n: 4 } }]);
    await until(async () => (await q.states('dedup', ['a']))[0]!.status === 'completed');
    expect(runs).toEqual(['a:1', 'b:1', 'a:4']);
    await q.close();
  });

  it.each([
    { name: 'one at a time', concurrency: 1 },
    { name: 'three at a time', concurrency: 3 },
  ])('keeps a queue within its concurrency: $name', async ({ concurrency }) => {
    let inFlight = 0;
    let max = 0;
    let otherMax = 0;
    let otherInFlight = 0;
    const q = new InProcessQueue(
      {
        extract: async () => {
          max = Math.max(max, ++inFlight);
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
          inFlight--;
        },
        dedup: async () => {
          otherMax = Math.max(otherMax, ++otherInFlight);
          await new Promise((r) => setTimeout(r, 5));
          otherInFlight--;
        },
      },
      { extract: { concurrency }, dedup: { concurrency: 2 } },
    );
    const ids = Array.from({ length: 20 }, (_, i) => `j${i}`);
    await q.add(
      'extract',
      ids.slice(0, 10).map((id) => ({ id, data: null })),
    );
    await q.add(
      'dedup',
      ids.map((id) => ({ id, data: null })),
    );
    await q.add(
      'extract',
      ids.slice(10).map((id) => ({ id, data: null })),
    );
    await until(
      async () =>
        (await q.states('extract', ids)).every((s) => s.status === 'completed') &&
        (await q.states('dedup', ids)).every((s) => s.status === 'completed'),
    );
    expect(max).toBe(concurrency);
    // Each queue has its own cap.
    expect(otherMax).toBe(2);
    await q.close();
  });

  it('retries a failing job up to its attempts, then keeps it failed with its error', async () => {
    const attempts: number[] = [];
    const errors: { final: boolean; message: string }[] = [];
    const q = new InProcessQueue(
      handlers(async (job) => {
        attempts.push(job.attempt);
        if (job.id === 'flaky' && job.attempt === 2) return 'ok';
        throw new Error(`boom ${job.attempt}`);
      }),
      { extract: { attempts: 3 } },
      { retryDelayMs: 1, onError: (_q, _id, err, final) => errors.push({ final, message: err.message }) },
    );
    await q.add('extract', [{ id: 'bad', data: null }]);
    await until(async () => (await q.states('extract', ['bad']))[0]!.status === 'failed');
    expect(await q.states('extract', ['bad'])).toEqual([
      { id: 'bad', status: 'failed', result: undefined, error: 'boom 3', attempts: 3 },
    ]);
    expect(attempts).toEqual([1, 2, 3]);
    expect(errors).toEqual([
      { final: false, message: 'boom 1' },
      { final: false, message: 'boom 2' },
      { final: true, message: 'boom 3' },
    ]);

    // A job that succeeds on a retry is completed, its earlier error kept for the record.
    await q.add('extract', [{ id: 'flaky', data: null }]);
    await until(async () => (await q.states('extract', ['flaky']))[0]!.status === 'completed');
    expect((await q.states('extract', ['flaky']))[0]).toMatchObject({ status: 'completed', result: 'ok', attempts: 2 });
    await q.close();
  });

  it('fails a job of a queue without a handler', async () => {
    const q = new InProcessQueue({}, { deliver: { attempts: 1 } });
    await q.add('deliver', [{ id: 'd', data: null }]);
    await until(async () => (await q.states('deliver', ['d']))[0]!.status === 'failed');
    expect((await q.states('deliver', ['d']))[0]!.error).toMatch(/no handler for queue deliver/);
    await q.close();
  });

  it('cancels waiting jobs only', async () => {
    const g = gate();
    const started: string[] = [];
    const q = new InProcessQueue(
      handlers(async (job) => {
        started.push(job.id);
        await g.opened;
      }),
      { extract: { concurrency: 1 } },
    );
    await q.add(
      'extract',
      ['a', 'b', 'c'].map((id) => ({ id, data: null })),
    );
    await until(() => started.length === 1);
    expect(await q.cancel('extract', ['a', 'b', 'unknown'])).toBe(1);
    expect((await q.states('extract', ['a', 'b', 'c'])).map((s) => s.status)).toEqual(['active', 'missing', 'pending']);
    g.open();
    await until(async () => (await q.states('extract', ['c']))[0]!.status === 'completed');
    expect(started).toEqual(['a', 'c']);
    expect((await q.states('extract', ['a']))[0]!.status).toBe('completed');
    // A cancelled id is unknown again: adding it queues it.
    await q.add('extract', [{ id: 'b', data: null }]);
    await until(async () => (await q.states('extract', ['b']))[0]!.status === 'completed');
    await q.close();
  });

  it('waits in close for the running jobs, aborts their signal and starts no more', async () => {
    const g = gate();
    const started: string[] = [];
    let aborted = false;
    const q = new InProcessQueue(
      handlers(async (job) => {
        started.push(job.id);
        job.signal.addEventListener('abort', () => {
          aborted = true;
        });
        await g.opened;
        return 'finished';
      }),
      { extract: { concurrency: 2 } },
    );
    await q.add(
      'extract',
      ['a', 'b', 'c'].map((id) => ({ id, data: null })),
    );
    await until(() => started.length === 2);
    let closed = false;
    const closing = q.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(closed).toBe(false);
    expect(aborted).toBe(true);
    g.open();
    await closing;
    expect(started).toEqual(['a', 'b']);
    expect((await q.states('extract', ['a', 'b'])).map((s) => s.status)).toEqual(['completed', 'completed']);
    await expect(q.add('extract', [{ id: 'd', data: null }])).rejects.toThrow(/closed/);
  });

  it('ends at close a job that gives up on its abort signal, without reporting it as a failure', async () => {
    const errors: string[] = [];
    const q = new InProcessQueue(
      handlers(async (job) => {
        await new Promise((_, reject) =>
          job.signal.addEventListener('abort', () => reject(job.signal.reason as Error), { once: true }),
        );
      }),
      { extract: { attempts: 3 } },
      { retryDelayMs: 1, onError: (_q, id) => errors.push(id) },
    );
    await q.add('extract', [{ id: 'slow', data: null }]);
    await until(async () => (await q.states('extract', ['slow']))[0]!.status === 'active');
    await q.close();
    expect((await q.states('extract', ['slow']))[0]).toMatchObject({
      status: 'failed',
      error: 'aborted: the queue was closed',
      attempts: 1,
    });
    expect(errors).toEqual([]);
  });

  it('closes at once when nothing runs', async () => {
    const q = new InProcessQueue(handlers(async () => null));
    await q.close();
  });

  it("reports 'missing' for ids it never saw", async () => {
    const q = new InProcessQueue(handlers(async () => null));
    expect(await q.states('extract', ['nope', 'nada'])).toEqual([
      { id: 'nope', status: 'missing', attempts: 0 },
      { id: 'nada', status: 'missing', attempts: 0 },
    ]);
    expect(await q.states('extract', [])).toEqual([]);
    await q.close();
  });

  it('gives a retried job the data its last attempt stored', async () => {
    const seen: unknown[] = [];
    const q = new InProcessQueue(
      handlers(async (job: JobHandle<{ step: number }>) => {
        seen.push(job.data.step);
        await job.updateData({ step: job.data.step + 1 });
        if (job.attempt < 3) throw new Error('again');
        return job.data.step;
      }),
      { extract: { attempts: 3 } },
      { retryDelayMs: 1 },
    );
    await q.add('extract', [{ id: 'x', data: { step: 0 } }]);
    await until(async () => (await q.states('extract', ['x']))[0]!.status === 'completed');
    expect(seen).toEqual([0, 1, 2]);
    expect((await q.states('extract', ['x']))[0]!.result).toBe(3);
    await q.close();
  });
});
