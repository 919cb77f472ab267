/**
 * A benchmark hook, off by default and not a setting: `FINREP_BENCH_CLOCK="<virtual>@<real>x<factor>"`
 * (two ISO instants and a speed-up) makes the date of a scheduled edition that of an accelerated clock,
 * virtual = virtual₀ + (real − real₀) × factor. With a schedule that fires every 20 s and a factor of 4320
 * (a day per 20 s), consecutive fires are the editions of consecutive days: `npm run bench:soak` runs
 * hundreds of editions through beat → queue → worker in an hour (docs/reliability.md, "Soak"). Only the
 * date a job of the BullMQ scheduler is given reads it; everything else keeps the real clock.
 */

/** Maps a real instant to the accelerated one. */
export type BenchClock = (real: Date) => Date;

/** An unusable FINREP_BENCH_CLOCK. */
export class BenchClockError extends Error {
  override name = 'BenchClockError';
}

/**
 * Parses the hook; null when unset or empty (production).
 *
 * @example benchClock({ FINREP_BENCH_CLOCK: '2025-01-01T06:30:00+08:00@2026-12-05T21:30:00Z x4320' })!(new Date('2026-12-05T21:30:20Z')) // 2025-01-02T06:30+08:00
 */
export function benchClock(env: Record<string, string | undefined> = process.env): BenchClock | null {
  const spec = env.FINREP_BENCH_CLOCK?.trim();
  if (!spec) return null;
  const m = /^(\S+)@(\S+)\s*x\s*(\d+(?:\.\d+)?)$/.exec(spec);
  const virtual0 = m ? Date.parse(m[1]!) : Number.NaN;
  const real0 = m ? Date.parse(m[2]!) : Number.NaN;
  const factor = m ? Number(m[3]) : Number.NaN;
  if (!Number.isFinite(virtual0) || !Number.isFinite(real0) || !(factor > 0))
    throw new BenchClockError(
      `FINREP_BENCH_CLOCK: expected "<virtual ISO>@<real ISO>x<factor>" (a benchmark hook; leave it unset), got "${spec}"`,
    );
  return (real) => new Date(virtual0 + (real.getTime() - real0) * factor);
}
