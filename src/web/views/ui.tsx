/**
 * The console's building blocks, shared by every page: a page frame with its heading and actions, tables that
 * scroll sideways on a phone instead of widening the page, a pager, filter bars, form fields with their inline
 * error, buttons that POST with the CSRF token, badges, and times in the configured zone. React escapes every
 * text and attribute; nothing here takes HTML.
 */
import type { ReactNode } from 'react';
import type { MessageKey } from '../i18n/index.ts';
import { Layout, Notice } from './layout.tsx';
import type { PageContext } from './layout.tsx';

/** A console page: the layout, an `h1` with optional actions beside it, notices, then the content. */
export function Page({
  ctx,
  title,
  actions,
  notice,
  error,
  scripts,
  children,
}: {
  ctx: PageContext;
  title: string;
  actions?: ReactNode;
  /** A line of confirmation (e.g. from `?saved=1`). */
  notice?: string | null;
  error?: string | null;
  scripts?: string[];
  children: ReactNode;
}) {
  return (
    <Layout ctx={ctx} title={title} scripts={scripts}>
      <div className="page">
        <div className="page-head">
          <h1>{title}</h1>
          {actions && <div className="actions">{actions}</div>}
        </div>
        {notice && <Notice kind="info">{notice}</Notice>}
        {error && <Notice kind="error">{error}</Notice>}
        {children}
      </div>
    </Layout>
  );
}

/** A white panel with an optional heading. */
export function Panel({ title, children, id }: { title?: string; children: ReactNode; id?: string }) {
  return (
    <section className="panel" id={id}>
      {title && <h2>{title}</h2>}
      {children}
    </section>
  );
}

/** A table that scrolls inside its box on a narrow screen; `empty` is shown when there are no rows. */
export function Table({
  ctx,
  head,
  rows,
  empty,
}: {
  ctx: PageContext;
  head: ReactNode[];
  rows: ReactNode[][];
  empty?: string;
}) {
  if (rows.length === 0) return <p className="muted empty">{empty ?? ctx.t('ui.empty')}</p>;
  return (
    <div className="table-wrap">
      <table className="data">
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Previous / next links keeping the page's other query parameters; `page` counts from 1.
 * @example <Pager ctx={ctx} page={2} pageSize={50} total={1234} query={req.query} />
 */
export function Pager({
  ctx,
  page,
  pageSize,
  total,
  capped = false,
  query = {},
}: {
  ctx: PageContext;
  page: number;
  pageSize: number;
  total: number;
  /** The count stopped at `total`: there are more rows (and maybe pages) than it says. */
  capped?: boolean;
  query?: Record<string, unknown>;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const href = (p: number) => `${ctx.path}?${queryString({ ...query, page: p === 1 ? undefined : String(p) })}`;
  return (
    <nav className="pager" aria-label="pages">
      {page > 1 ? <a href={href(page - 1)}>{ctx.t('ui.prev')}</a> : <span />}
      <span className="muted">
        {capped
          ? ctx.t('ui.pageOfMore', { page, pages, total: formatNumber(ctx, total) })
          : ctx.t('ui.pageOf', { page, pages, total })}
      </span>
      {page < pages || capped ? <a href={href(page + 1)}>{ctx.t('ui.next')}</a> : <span />}
    </nav>
  );
}

/** `a=1&b=x`, leaving out empty values and the language switch. */
export function queryString(q: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q))
    if (k !== 'lang' && v !== undefined && v !== null && v !== '') p.set(k, String(v));
  return p.toString();
}

/** A GET form of filters laid out in a row (wrapping on a phone), with Filter and Reset. */
export function FilterBar({ ctx, children }: { ctx: PageContext; children: ReactNode }) {
  return (
    <form method="get" action={ctx.path} className="filters">
      {children}
      <div className="filter-buttons">
        <button type="submit">{ctx.t('ui.filter')}</button>
        <a href={ctx.path}>{ctx.t('ui.reset')}</a>
      </div>
    </form>
  );
}

/** A labelled input with its inline error; `type="textarea"` and `type="select"` (with `options`) too. */
export function Field({
  label,
  name,
  value,
  error,
  hint,
  type = 'text',
  options,
  required,
  placeholder,
}: {
  label: string;
  name: string;
  value?: string | number | null;
  error?: string | null;
  hint?: string;
  type?: 'text' | 'email' | 'number' | 'url' | 'date' | 'datetime-local' | 'search' | 'textarea' | 'select';
  /** For `select`: [value, label] pairs. */
  options?: [string, string][];
  required?: boolean;
  placeholder?: string;
}) {
  const v = value === null || value === undefined ? '' : String(value);
  const common = { name, required, 'aria-invalid': error ? true : undefined, placeholder };
  return (
    <label className={error ? 'field invalid' : 'field'}>
      <span>{label}</span>
      {type === 'textarea' ? (
        <textarea {...common} defaultValue={v} rows={6} />
      ) : type === 'select' ? (
        <select name={name} defaultValue={v}>
          {(options ?? []).map(([val, text]) => (
            <option key={val} value={val}>
              {text}
            </option>
          ))}
        </select>
      ) : (
        <input {...common} type={type} defaultValue={v} />
      )}
      {hint && <small className="muted">{hint}</small>}
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </label>
  );
}

/** The hidden CSRF field every POST form carries. */
export function Csrf({ ctx }: { ctx: PageContext }) {
  return <input type="hidden" name="_csrf" value={ctx.csrf} />;
}

/**
 * A button that POSTs to `action` with the CSRF token and `fields`; `confirm` asks first (console.js), and
 * a viewer sees no button at all (the server refuses them anyway).
 */
export function PostButton({
  ctx,
  action,
  label,
  fields = {},
  confirm,
  kind = 'primary',
}: {
  ctx: PageContext;
  action: string;
  label: string;
  fields?: Record<string, string | number>;
  confirm?: string | boolean;
  kind?: 'primary' | 'secondary' | 'danger' | 'link';
}) {
  if (ctx.user?.role !== 'admin') return null;
  return (
    <form
      method="post"
      action={action}
      className="inline"
      data-confirm={confirm === true ? ctx.t('ui.confirm') : confirm || undefined}
    >
      <Csrf ctx={ctx} />
      {Object.entries(fields).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={String(v)} />
      ))}
      <button type="submit" className={kind === 'primary' ? undefined : kind}>
        {label}
      </button>
    </form>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

/** A small coloured label: a status, a role, a sentiment. */
export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge ${tone}`} title={title}>
      {children}
    </span>
  );
}

/** Big number with its label, for the tops of dashboards. */
export function Stat({ label, value, tone, hint }: { label: string; value: ReactNode; tone?: Tone; hint?: string }) {
  return (
    <div className={`stat ${tone ?? ''}`}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
      {hint && <div className="muted stat-hint">{hint}</div>}
    </div>
  );
}

/**
 * A chart drawn in the browser by ECharts (charts.js): it fetches `src` (JSON: an ECharts option, or
 * `{ option }`) and redraws every `refreshSec` seconds. Pages using it pass `scripts={['charts.js']}`.
 */
export function Chart({
  src,
  height = 280,
  refreshSec,
  label,
}: {
  src: string;
  height?: number;
  refreshSec?: number;
  label: string;
}) {
  return (
    <div
      className="chart"
      role="img"
      aria-label={label}
      data-chart={src}
      data-refresh={refreshSec}
      data-height={height}
    />
  );
}

// Building an Intl formatter costs ~0.1–0.5 ms, using one microseconds: a table of 50 rows with 4 times and
// numbers each spent most of its render building them. Kept per zone / language (a handful in a process).
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function dateFormat(timeZone: string, seconds: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${seconds}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
    dateFormats.set(key, f);
  }
  return f;
}

function numberFormat(lang: string, digits: number): Intl.NumberFormat {
  const key = `${lang}|${digits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits });
    numberFormats.set(key, f);
  }
  return f;
}

/** `2026-12-05 06:12` in `ctx.timeZone` (with seconds when `seconds`); an em dash for nothing. */
export function formatTime(ctx: PageContext, at: Date | string | null | undefined, seconds = false): string {
  if (!at) return '—';
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return '—';
  const parts = dateFormat(ctx.timeZone, seconds).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
}

/** A `<time>` element in the configured zone, the exact instant in its title. */
export function Time({
  ctx,
  at,
  seconds,
}: {
  ctx: PageContext;
  at: Date | string | null | undefined;
  seconds?: boolean;
}) {
  if (!at) return <span className="muted">—</span>;
  const d = typeof at === 'string' ? new Date(at) : at;
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {formatTime(ctx, d, seconds)}
    </time>
  );
}

/** Numbers as the page's language writes them (`1,234.5`). */
export function formatNumber(ctx: PageContext, n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return numberFormat(ctx.lang, digits).format(n);
}

/** Yes / no in the page's language. */
export function yesNo(ctx: PageContext, v: boolean): string {
  return ctx.t(v ? 'ui.yes' : 'ui.no');
}

/** The translator's key type, for option lists built from keys. */
export type { MessageKey };
