/**
 * Plain formatting the run pages share with the live stream (no React here: the stream's route loads this at
 * start-up, the views only with the first page).
 */
import { zonedToUtc } from '../../lib/time.ts';
import { sayText } from '../i18n/coded.ts';
import type { MessageKey } from '../i18n/index.ts';

/** `850 ms`, `12.3 s`, `4 min 05 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The mark `finrep run` puts before an event line. */
export function eventMark(kind: string): string {
  return kind === 'error' ? '✘' : kind === 'end' ? '✔' : kind === 'degraded' ? '!' : '·';
}

/** A stage as `run_stages` holds it. */
export interface StageView {
  stage: string;
  status: string;
  startedAt: Date;
  durationMs: number | null;
  counts: Record<string, unknown> | null;
  progress: { done: number; total: number; unit: string } | null;
  error: string | null;
}

/**
 * What a stage did, in the words its run recorded (`counts.line`; with `t`, in the page's language when the
 * line has its code, `counts.line_text`), or its error — without server paths.
 */
export function stageResult(
  s: StageView,
  t?: (key: MessageKey, vars?: Record<string, string | number>) => string,
): string {
  if (s.error) return withoutServerPaths(s.error);
  const line = s.counts?.line;
  if (typeof line !== 'string') return '';
  return withoutServerPaths(t ? sayText(t, s.counts?.line_text, line) : line);
}

/**
 * A run's line as a browser may see it: the compose stage ends its line with `→ <the report file>` (which the
 * CLI prints, on the server), and an error may name a file; the pages show the edition's links instead, and a
 * file elsewhere by its name alone (`…/report.html`).
 * @example withoutServerPaths('12 items, email 40 KB → /srv/finrep/data/reports/2026-12-05/report.html') // '12 items, email 40 KB'
 */
export function withoutServerPaths(line: string): string {
  return line
    .replace(/\s*→\s*(?:\/|[A-Za-z]:\\)\S*$/, '')
    .replace(/(^|[\s'"(=:])(?:\/[^\s'"()/]+){2,}\/?|(^|[\s'"(=:])[A-Za-z]:\\\S+/g, (m, a?: string, b?: string) => {
      const lead = a ?? b ?? '';
      const name =
        m
          .slice(lead.length)
          .replace(/[\\/]+$/, '')
          .split(/[\\/]/)
          .pop() ?? '';
      return `${lead}…/${name}`;
    });
}

/** `12/40 sources` while a stage runs. */
export function progressText(s: StageView): string {
  if (!s.progress || s.status !== 'running') return '';
  return `${s.progress.done}/${s.progress.total} ${s.progress.unit}`;
}

/** `2026-12-05 06:12:03` in `timeZone` (what the pages' `<Time seconds>` shows). */
export function clock(at: Date, timeZone: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/**
 * Mail of an edition is due this long after EDITION_DEADLINE: the guard fires at 06:15 so that mail is out
 * by 06:20 (the seed's SLA, docs/jobs.md).
 */
export const DELIVERY_GRACE_MIN = 5;

/** When the mail of the edition of `date` is due: EDITION_DEADLINE on that date in TZ, plus the grace. */
export function deliverBy(date: string, deadline: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = deadline.split(':').map(Number) as [number, number];
  return new Date(zonedToUtc(y, m, d, hh, mm, timeZone).getTime() + DELIVERY_GRACE_MIN * 60_000);
}
