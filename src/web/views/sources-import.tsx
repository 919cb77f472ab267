/** Sources as files: export (YAML, JSON, OPML) and import — checked first, shown as a plan, then applied. */
import type { SourcesFileIssue } from '../../collect/source-files.ts';
import { sayText } from '../i18n/coded.ts';
import { isMessageKey } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/index.ts';
import type { PageContext } from './layout.tsx';
import { Badge, Csrf, Field, Page, Panel, Table } from './ui.tsx';

export interface PlannedSource {
  key: string;
  name: string;
  kind: string;
  url: string;
  outcome: 'created' | 'updated' | 'unchanged';
  /** The fields the import changes on an existing source. */
  changed: string[];
  /** The fields an existing source keeps because the file does not hold them (an OPML file: its rules …). */
  kept: string[];
}

export function SourcesImportPage({
  ctx,
  format,
  text,
  issues,
  file,
  plan,
  notice,
}: {
  ctx: PageContext;
  format: string;
  text: string;
  /** The file's problems: nothing was imported. */
  issues?: SourcesFileIssue[];
  file?: string;
  /** What applying would do (a checked file). */
  plan?: PlannedSource[];
  notice?: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const count = (o: PlannedSource['outcome']) => plan?.filter((p) => p.outcome === o).length ?? 0;
  const changes = count('created') + count('updated');
  return (
    <Page
      ctx={ctx}
      title={t('sources.importTitle')}
      actions={<a href="/sources">{`← ${t('sources.title')}`}</a>}
      notice={notice}
      scripts={['sources-import.js']}
    >
      <Panel title={t('ui.export')}>
        <p className="muted">{t('sources.exportHint')}</p>
        <div className="actions">
          <a className="src-button" href="/sources/export?format=yaml" download>
            YAML
          </a>
          <a className="src-button" href="/sources/export?format=json" download>
            JSON
          </a>
          <a className="src-button" href="/sources/export?format=opml" download>
            {t('sources.opmlFeeds')}
          </a>
        </div>
      </Panel>
      {issues && issues.length > 0 && (
        <section className="panel src-issues" role="alert">
          <h2>{t('sources.importBad', { n: issues.length })}</h2>
          <ul>
            {issues.map((i, n) => (
              <li key={n}>
                <code>{i.line ? `${file ?? ''}:${i.line}${i.column ? `:${i.column}` : ''}` : (file ?? '')}</code>{' '}
                {i.path.length > 0 && <strong>{entryLabel(ctx, i.path)} </strong>}
                {sayText(t, i, i.message)}
              </li>
            ))}
          </ul>
        </section>
      )}
      {plan && (
        <section className="panel src-plan">
          <h2>{t('sources.planTitle')}</h2>
          <p>
            {t('sources.planCounts', {
              created: count('created'),
              updated: count('updated'),
              unchanged: count('unchanged'),
            })}
          </p>
          <Table
            ctx={ctx}
            head={[
              '#',
              t('sources.plan.outcome'),
              t('sources.key'),
              t('sources.name'),
              t('sources.kind'),
              t('sources.url'),
              t('sources.plan.details'),
            ]}
            rows={plan.map((p, i) => [
              i + 1,
              <Badge key="o" tone={p.outcome === 'created' ? 'ok' : p.outcome === 'updated' ? 'warn' : 'muted'}>
                {t(`sources.plan.${p.outcome}`)}
              </Badge>,
              <code key="k">{p.key}</code>,
              p.name,
              p.kind,
              <span key="u" className="src-item-url">
                {p.url}
              </span>,
              <PlanDetails key="d" ctx={ctx} p={p} />,
            ])}
          />
          {admin && changes > 0 && (
            <form method="post" action="/sources/import/apply" className="actions src-apply">
              <Csrf ctx={ctx} />
              <input type="hidden" name="format" value={format} />
              <input type="hidden" name="text" value={text} />
              <button type="submit">{t('sources.apply', { n: changes })}</button>
            </form>
          )}
          {changes === 0 && <p className="muted">{t('sources.planNothing')}</p>}
        </section>
      )}
      {admin ? (
        <Panel title={t('ui.import')}>
          <form method="post" action="/sources/import" className="stack src-import">
            <Csrf ctx={ctx} />
            <p className="muted">{t('sources.importHint')}</p>
            <Field
              label={t('sources.format')}
              name="format"
              type="select"
              value={format}
              options={[
                ['yaml', 'YAML'],
                ['json', 'JSON'],
                ['opml', 'OPML'],
              ]}
            />
            <label className="field">
              <span>{t('sources.file')}</span>
              <input type="file" accept=".yaml,.yml,.json,.opml,.xml,text/*" data-fills="text" />
            </label>
            <Field label={t('sources.fileText')} name="text" type="textarea" value={text} placeholder={PLACEHOLDER} />
            <div className="actions">
              <button type="submit">{t('sources.check')}</button>
            </div>
          </form>
        </Panel>
      ) : (
        <p className="muted">{t('ui.adminOnly')}</p>
      )}
    </Page>
  );
}

const PLACEHOLDER = `version: 1
sources:
  - name: 示例财经
    kind: rss
    url: https://example.com/feed.xml`;

/** What an import changes on an existing source, and what it keeps that the file does not hold. */
function PlanDetails({ ctx, p }: { ctx: PageContext; p: PlannedSource }) {
  const names = (fields: string[]) =>
    fields.map((f) => (isMessageKey(`sources.f.${f}`) ? ctx.t(`sources.f.${f}` as MessageKey) : f)).join(', ');
  return (
    <span className="src-plan-details">
      {p.changed.length > 0 && <span>{ctx.t('sources.plan.changed', { fields: names(p.changed) })}</span>}
      {p.changed.length > 0 && p.kept.length > 0 && '; '}
      {p.kept.length > 0 && <span className="src-kept">{ctx.t('sources.plan.kept', { fields: names(p.kept) })}</span>}
    </span>
  );
}

/** `sources[2].url` as "entry 3 · url" (entries counted from 1, as people count). */
function entryLabel(ctx: PageContext, path: (string | number)[]): string {
  const i = path.findIndex((p) => typeof p === 'number');
  if (i < 0) return `${path.join('.')}:`;
  const rest = path.slice(i + 1).join('.');
  return `${ctx.t('sources.entry', { n: (path[i] as number) + 1 })}${rest ? ` · ${rest}` : ''}:`;
}
