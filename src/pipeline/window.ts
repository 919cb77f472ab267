import { dateInZone, zonedToUtc } from '../lib/time.ts';

/** The edition of a date: its cut-off in the configured zone and the window of news it covers. */
export interface EditionWindow {
  date: string;
  from: Date;
  to: Date;
}

/**
 * An edition covers the `windowHours` before its cut-off (`cutoff` local time on its date).
 * @example editionWindow('2025-11-10', { timeZone: 'Asia/Shanghai', cutoff: '06:00', windowHours: 24 })
 */
export function editionWindow(
  date: string,
  opts: { timeZone: string; cutoff: string; windowHours: number },
): EditionWindow {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = opts.cutoff.split(':').map(Number) as [number, number];
  const to = zonedToUtc(y, m, d, hh, mm, opts.timeZone);
  return { date, from: new Date(to.getTime() - opts.windowHours * 3600_000), to };
}

/** Today's edition date in the configured zone. */
export function todayEdition(now: Date, timeZone: string): string {
  return dateInZone(now, timeZone);
}
