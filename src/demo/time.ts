/**
 * Wall-clock helpers for the demo world. Feeds and pages print local times in the edition's zone, and the
 * market-close reports sit at 15:05 local, so we need zone offsets without a date library.
 */

/** The calendar fields of an instant in one IANA zone. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', weekday: 'short',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Splits an instant into its wall-clock fields in `timezone`. */
export function localParts(date: Date, timezone: string): LocalParts {
  const get = (type: string): string => formatter(timezone).formatToParts(date).find((p) => p.type === type)?.value ?? '0';
  return {
    year: Number(get('year')), month: Number(get('month')), day: Number(get('day')),
    hour: Number(get('hour')), minute: Number(get('minute')), second: Number(get('second')),
    weekday: WEEKDAYS.indexOf(get('weekday')),
  };
}

/** Minutes east of UTC of `timezone` at that instant (480 for Asia/Shanghai). */
export function offsetMinutes(date: Date, timezone: string): number {
  const p = localParts(date, timezone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
}

/** The instant at which the wall clock in `timezone` shows the given local time. */
export function zonedTime(ymd: string, hour: number, minute: number, timezone: string): Date {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d, hour, minute);
  // Two passes settle the offset even when the guess straddles a DST change.
  let t = naive - offsetMinutes(new Date(naive), timezone) * 60_000;
  t = naive - offsetMinutes(new Date(t), timezone) * 60_000;
  return new Date(t);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** YYYY-MM-DD of the instant in `timezone`. */
export function localDate(date: Date, timezone: string): string {
  const p = localParts(date, timezone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

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
