import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { benchClock } from '../config/bench-clock.ts';
import { silentLogger } from '../log.ts';
import type { EditionDeps } from '../pipeline/run.ts';
import type { EditionJob, JobHandle } from '../pipeline/queue.ts';
import { editionJobHandler } from './edition-job.ts';

/** Stops the handler right after it dated the job: what follows needs a database and is tested elsewhere. */
class Dated extends Error {
  constructor(readonly data: EditionJob) {
    super('dated');
  }
}

/** The date a job of the BullMQ scheduler (no date in its data), due at `dueAt`, is given. */
async function dateOf(dueAt: string, scheduleClock?: EditionDeps['scheduleClock']): Promise<string> {
  const config = loadConfig({ TZ: 'Asia/Shanghai' }, { envFile: null });
  const job: JobHandle<EditionJob> = {
    id: 'repeat:daily-edition:1',
    queue: 'edition',
    attempt: 1,
    attempts: 1,
    retryIn: () => null,
    data: { trigger: 'schedule' } as EditionJob,
    scheduledAt: Date.parse(dueAt),
    signal: new AbortController().signal,
    updateData: (data) => Promise.reject(new Dated(data)),
  };
  const deps = { config, log: silentLogger(), scheduleClock } as unknown as EditionDeps;
  const err = await editionJobHandler(deps, job).catch((e: unknown) => e);
  if (!(err instanceof Dated)) throw new Error(`the handler did not date the job first: ${String(err)}`);
  return err.data.date;
}

describe('editionJobHandler: the date of a scheduled edition', () => {
  it('is the day in TZ of the moment the fire was due', async () => {
    // 06:00 in Shanghai is 22:00 UTC the day before.
    expect(await dateOf('2026-12-04T22:00:00Z')).toBe('2026-12-05');
  });

  it('is the day of the accelerated clock when the FINREP_BENCH_CLOCK hook is set (the soak)', async () => {
    const clock = benchClock({ FINREP_BENCH_CLOCK: '2025-01-01T06:30:00+08:00@2026-12-05T21:30:00Z x4320' })!;
    expect(await dateOf('2026-12-05T21:30:00Z', clock)).toBe('2025-01-01');
    expect(await dateOf('2026-12-05T21:31:00Z', clock)).toBe('2025-01-04');
  });
});
