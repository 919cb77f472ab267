/**
 * Lenient date parsing for feeds and pages: RFC 822, ISO 8601 and the Chinese forms news sites print
 * ("2025年11月10日 08:30", "11-10 08:30", "3小时前", "昨天 08:30"). Dates without a zone are wall-clock
 * times in the source's IANA zone; offsets come from Intl.DateTimeFormat, so no tz library is needed.
 */
import { zonedParts, zoneOffsetMs, zonedToUtc } from '../lib/time.ts';
import type { ZonedParts } from '../lib/time.ts';

/** A local date and time, without a zone. */
type WallClock = Omit<ZonedParts, 'weekday'>;

/** The instant at which the clocks of `timeZone` show `wall`. */
function zonedTimeToUtc(wall: WallClock, timeZone: string): Date {
  return zonedToUtc(wall.year, wall.month, wall.day, wall.hour, wall.minute, timeZone, wall.second);
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

/** RFC 822 zone names, in hours. CST is special-cased in `rfc822Offset`. */
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  est: -5,
  edt: -4,
  cdt: -5,
  mst: -7,
  mdt: -6,
  pst: -8,
  pdt: -7,
  bst: 1,
  cet: 1,
  cest: 2,
  eet: 2,
  eest: 3,
  jst: 9,
  kst: 9,
  hkt: 8,
  sgt: 8,
};

const RE_RELATIVE = /^(\d+)\s*(秒|分钟|分|小时|个小时|天)前$/;
const RE_DAY_WORD = /^(今天|今日|昨天|昨日|前天)\s*(?:(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/;
const RE_FULL =
  /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?\s*(z|utc|gmt|[+-]\d{2}:?\d{2})?$/i;
const RE_MONTH_DAY = /^(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/;
const RE_RFC822 =
  /^(?:[a-z]{3,}\.?,?\s*)?(\d{1,2})[\s-]+([a-z]{3})[a-z]*\.?[\s-]+(\d{2,4})(?:\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*([a-z]{1,5}|[+-]\d{2}:?\d{2})?$/i;

const UNIT_MS: Record<string, number> = { 秒: 1e3, 分钟: 6e4, 分: 6e4, 小时: 36e5, 个小时: 36e5, 天: 864e5 };
const DAY_BACK: Record<string, number> = { 今天: 0, 今日: 0, 昨天: 1, 昨日: 1, 前天: 2 };
/** A month-day date may run this far ahead of `now` (clock skew, sloppy zones) before it means last year. */
const FUTURE_SLACK_MS = 864e5;

/**
 * Parses a date as printed by a feed or a news page; null when the text is not a date we understand.
 *
 * @example parseDate('2025年11月10日 08:30', 'Asia/Shanghai', new Date()) // 2025-11-10T00:30:00.000Z
 */
export function parseDate(text: string | null | undefined, timeZone: string, now: Date): Date | null {
  if (!text) return null;
  const s = text
    .normalize('NFKC')
    .replace(/(星期|礼拜|周)[一二三四五六日天]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!s) return null;
  if (s === '刚刚' || s === '刚才') return new Date(now);

  let m = RE_RELATIVE.exec(s);
  if (m) return new Date(now.getTime() - Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0));

  m = RE_DAY_WORD.exec(s);
  if (m) {
    const today = zonedParts(now, timeZone);
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day - (DAY_BACK[m[1] ?? ''] ?? 0)));
    return zoned([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), num(m[2]), num(m[3]), num(m[4])], timeZone);
  }

  m = RE_FULL.exec(s);
  if (m) {
    const parts = [Number(m[1]), Number(m[2]), Number(m[3]), num(m[4]), num(m[5]), num(m[6])];
    return m[7] ? withOffset(parts, numericOffsetMinutes(m[7])) : zoned(parts, timeZone);
  }

  m = RE_MONTH_DAY.exec(s);
  if (m) {
    const year = zonedParts(now, timeZone).year;
    const rest = [Number(m[1]), Number(m[2]), num(m[3]), num(m[4]), num(m[5])];
    const d = zoned([year, ...rest], timeZone);
    if (d && d.getTime() > now.getTime() + FUTURE_SLACK_MS) return zoned([year - 1, ...rest], timeZone);
    return d;
  }

  m = RE_RFC822.exec(s);
  if (m) {
    const month = MONTHS[(m[2] ?? '').toLowerCase()];
    if (!month) return null;
    let year = Number(m[3]);
    if ((m[3] ?? '').length === 2) year += year < 50 ? 2000 : 1900;
    const parts = [year, month, Number(m[1]), num(m[4]), num(m[5]), num(m[6])];
    const offset = m[7] ? rfc822Offset(m[7], parts, timeZone) : null;
    return offset === null ? zoned(parts, timeZone) : withOffset(parts, offset);
  }

  // Anything else is only trusted when it carries its own zone (Date.parse would use the process zone).
  if (/(?:\bz|\bgmt|\butc|[+-]\d{2}:?\d{2})$/i.test(s)) {
    const t = Date.parse(s);
    return Number.isNaN(t) ? null : new Date(t);
  }
  return null;
}

function num(v: string | undefined): number {
  return v === undefined ? 0 : Number(v);
}

function validParts(p: number[]): WallClock | null {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = p;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCDate() !== day) return null; // 2 月 30 日
  return { year, month, day, hour, minute, second: Math.min(second, 59) };
}

function zoned(p: number[], timeZone: string): Date | null {
  const wall = validParts(p);
  return wall ? zonedTimeToUtc(wall, timeZone) : null;
}

function withOffset(p: number[], offsetMinutes: number): Date | null {
  const w = validParts(p);
  if (!w) return null;
  return new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - offsetMinutes * 6e4);
}

function numericOffsetMinutes(zone: string): number {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!m) return 0; // Z, UTC, GMT
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * Offset in minutes for an RFC 822 zone, or null when unknown (then the source zone applies). Chinese
 * sites write "CST" for China Standard Time: when the source zone is UTC+8, CST means +08:00, else the
 * RFC's US Central.
 */
function rfc822Offset(zone: string, parts: number[], timeZone: string): number | null {
  if (/^[+-]/.test(zone)) return numericOffsetMinutes(zone);
  const key = zone.toLowerCase();
  if (key === 'cst') {
    const approx = Date.UTC(parts[0] ?? 1970, (parts[1] ?? 1) - 1, parts[2] ?? 1);
    return zoneOffsetMs(approx, timeZone) === 8 * 36e5 ? 480 : -360;
  }
  const hours = ZONES[key];
  return hours === undefined ? null : hours * 60;
}
