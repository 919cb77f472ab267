import type { PageContext } from './layout.tsx';
import { Field, FilterBar, Page, Pager, Panel, Table, Time } from './ui.tsx';

export interface AuditLine {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditProps {
  ctx: PageContext;
  rows: AuditLine[];
  total: number;
  actions: string[];
  query: { actor: string; action: string; target: string; from?: string; to?: string; page: number };
  pageSize: number;
}

/** Where a change came from: shown apart, smaller, after what changed. */
const ORIGIN = new Set(['ip', 'request_id']);

function clip(s: string, n = 400): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** The detail as `key: value` lines (before/after first as they were written), values as JSON. */
function Detail({ detail }: { detail: Record<string, unknown> | null }) {
  if (!detail) return null;
  // jsonb keeps keys by length: show what was before ahead of what came after.
  const rank = (k: string) => (k === 'before' ? 0 : k === 'after' ? 1 : 2);
  const entries = Object.entries(detail).sort(([a], [b]) => rank(a) - rank(b));
  const origin = entries.filter(([k]) => ORIGIN.has(k));
  return (
    <div className="audit-detail">
      {entries
        .filter(([k]) => !ORIGIN.has(k))
        .map(([k, v]) => (
          <div key={k}>
            <span className="key">{k}</span> <code>{clip(JSON.stringify(v) ?? 'null')}</code>
          </div>
        ))}
      {origin.length > 0 && (
        <div className="muted origin">{origin.map(([k, v]) => `${k} ${String(v)}`).join(' · ')}</div>
      )}
    </div>
  );
}

/** `GET /audit`: the audit log, newest first, with its filters and pager. */
export function AuditPage({ ctx, rows, total, actions, query, pageSize }: AuditProps) {
  const { t } = ctx;
  const options: [string, string][] = [['', t('ui.all')], ...actions.map((a): [string, string] => [a, a])];
  if (query.action && !actions.includes(query.action)) options.push([query.action, query.action]);
  return (
    <Page ctx={ctx} title={t('dashboard.audit.title')}>
      <Panel>
        <FilterBar ctx={ctx}>
          <Field label={t('dashboard.audit.actor')} name="actor" type="search" value={query.actor} />
          <Field
            label={t('dashboard.audit.action')}
            name="action"
            type="select"
            value={query.action}
            options={options}
          />
          <Field label={t('dashboard.audit.target')} name="target" type="search" value={query.target} />
          <Field label={t('ui.from')} name="from" type="date" value={query.from} />
          <Field label={t('ui.to')} name="to" type="date" value={query.to} />
        </FilterBar>
        <Table
          ctx={ctx}
          head={[
            t('dashboard.audit.at'),
            t('dashboard.audit.actor'),
            t('dashboard.audit.action'),
            t('dashboard.audit.target'),
            t('dashboard.audit.detail'),
          ]}
          rows={rows.map((r) => [
            <Time ctx={ctx} at={r.at} seconds />,
            <span className="audit-actor">{r.actor}</span>,
            <code>{r.action}</code>,
            r.target ?? '—',
            <Detail detail={r.detail} />,
          ])}
        />
        <Pager
          ctx={ctx}
          page={query.page}
          pageSize={pageSize}
          total={total}
          query={{ actor: query.actor, action: query.action, target: query.target, from: query.from, to: query.to }}
        />
      </Panel>
    </Page>
  );
}
