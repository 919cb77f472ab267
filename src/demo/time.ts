/**
 * Wall-clock helpers for the demo world. Feeds and pages print local times in the edition's zone, and the
 * market-close reports sit at 15:05 local, so we need zone offsets without a date library.
 */
import { dateInZone, zonedParts, zoneOffsetMs, zonedToUtc } from '../lib/time.ts';
import type { ZonedParts } from '../lib/time.ts';

/** The calendar fields of an instant in one IANA zone. */
export type LocalParts = ZonedParts;

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Splits an instant into its wall-clock fields in `timezone`. */
export const localParts = zonedParts;

/** Minutes east of UTC of `timezone` at that instant (480 for Asia/Shanghai). */
export function offsetMinutes(date: Date, timezone: string): number {
  return Math.round(zoneOffsetMs(date.getTime(), timezone) / 60_000);
}

/** The instant at which the wall clock in `timezone` shows the given local time. */
export function zonedTime(ymd: string, hour: number, minute: number, timezone: string): Date {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return zonedToUtc(y, m, d, hour, minute, timezone);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** YYYY-MM-DD of the instant in `timezone`. */
export const localDate = dateInZone;

/** The calendar day `days` after a YYYY-MM-DD date (negative goes back). */
export function addDays(ymd: string, days: number): string {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function offsetString(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** RFC 822 date as RSS 2.0 wants it, in the local zone (`Mon, 10 Nov 2025 08:30:00 +0800`). */
export function rfc822(date: Date, timezone: string): string {
  const p = localParts(date, timezone);
  const off = offsetString(offsetMinutes(date, timezone), false);
  return `${WEEKDAYS[p.weekday]}, ${pad(p.day)} ${MONTHS[p.month - 1]} ${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)} ${off}`;
}

/** ISO 8601 with the local offset (`2025-11-10T08:30:00+08:00`). */
export function isoLocal(date: Date, timezone: string): string {
  const p = localParts(date, timezone);
  const off = offsetString(offsetMinutes(date, timezone), true);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${off}`;
}

/** Local date and minute without a zone, as Chinese sites print it (`2025-11-10 08:30`). */
export function localStamp(date: Date, timezone: string): string {
  const p = localParts(date, timezone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** Chinese local date (`2025年11月10日 08:30`). */
export function chineseStamp(date: Date, timezone: string): string {
  const p = localParts(date, timezone);
  return `${p.year}年${p.month}月${p.day}日 ${pad(p.hour)}:${pad(p.minute)}`;
}
