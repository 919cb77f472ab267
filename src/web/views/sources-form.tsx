/**
 * A source: its health and fetch history, the form (rss, web with selector rules, dynamic) with each field's
 * error from the shared validator, "test this source" results, and enable / disable / delete.
 */
import type { SourceListRow } from '../../db/queries/console-sources.ts';
import type { PreviewRun } from '../../collect/preview-run.ts';
import { stateWord } from '../i18n/index.ts';
import type { SourceForm } from '../routes/sources/form.ts';
import type { PageContext } from './layout.tsx';
import { Badge, Csrf, Field, formatNumber, Page, Panel, PostButton, Table, Time } from './ui.tsx';
import { HealthBadge, kindLabel, NextAttempt } from './sources.tsx';

export interface FetchRow {
  startedAt: Date;
  status: string;
  httpStatus: number | null;
  durationMs: number;
  items: number;
  newItems: number;
  error: string | null;
}

export interface SourcePageProps {
  ctx: PageContext;
  /** null: a new source. */
  source: (SourceListRow & { storedArticles: number }) | null;
  fetches?: FetchRow[];
  form: SourceForm;
  errors?: Record<string, string>;
  /** Problems of no single field. */
  formError?: string | null;
  preview?: PreviewRun | null;
  notice?: string | null;
  error?: string | null;
  now: Date;
}

export function SourcePage(p: SourcePageProps) {
  const { ctx, source } = p;
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const title = source ? source.name : t('sources.new');
  const actions = (
    <a href="/sources">
      {'← '}
      {t('sources.title')}
    </a>
  );
  return (
    <Page ctx={ctx} title={title} actions={actions} notice={p.notice} error={p.error} scripts={['sources-form.js']}>
      {source && <HealthPanel ctx={ctx} s={source} fetches={p.fetches ?? []} now={p.now} />}
      {p.preview && <PreviewPanel ctx={ctx} p={p.preview} />}
      <SourceFormPanel {...p} admin={admin} />
      {source && admin && <DangerPanel ctx={ctx} s={source} />}
      {!admin && <p className="muted">{t('ui.adminOnly')}</p>}
    </Page>
  );
}

function HealthPanel({
  ctx,
  s,
  fetches,
  now,
}: {
  ctx: PageContext;
  s: SourceListRow & { storedArticles: number };
  fetches: FetchRow[];
  now: Date;
}) {
  const { t } = ctx;
  return (
    <Panel title={t('sources.healthTitle')}>
      <dl className="src-facts">
        <dt>{t('sources.kind')}</dt>
        <dd>
          {kindLabel(ctx, s.kind)}{' '}
          {s.enabled ? <Badge tone="ok">{t('ui.enabled')}</Badge> : <Badge tone="muted">{t('ui.disabled')}</Badge>}
        </dd>
        <dt>{t('sources.health')}</dt>
        <dd>
          <HealthBadge ctx={ctx} s={s} />
        </dd>
        <dt>{t('sources.lastSuccess')}</dt>
        <dd>
          <Time ctx={ctx} at={s.lastSuccessAt} />
        </dd>
        <dt>{t('sources.lastFetch')}</dt>
        <dd>
          <Time ctx={ctx} at={s.lastFetchAt} />
        </dd>
        <dt>{t('sources.failures')}</dt>
        <dd>{formatNumber(ctx, s.consecutiveFailures)}</dd>
        <dt>{t('sources.nextAttempt')}</dt>
        <dd>
          <NextAttempt ctx={ctx} s={s} now={now} />
        </dd>
        <dt>{t('sources.recent')}</dt>
        <dd>{formatNumber(ctx, s.recentArticles)}</dd>
        <dt>{t('sources.stored')}</dt>
        <dd>{formatNumber(ctx, s.storedArticles)}</dd>
      </dl>
      {s.lastError && (
        <p className="src-last-error">
          <strong>{t('sources.lastError')}: </strong>
          {s.lastError}
        </p>
      )}
      {fetches.length > 0 && (
        <details>
          <summary>
            {fetches.length === 1 ? t('sources.fetchOne') : t('sources.fetches', { n: fetches.length })}
          </summary>
          <Table
            ctx={ctx}
            head={[
              t('sources.fetch.at'),
              t('sources.fetch.status'),
              'HTTP',
              t('sources.fetch.items'),
              'ms',
              t('sources.lastError'),
            ]}
            rows={fetches.map((f) => [
              <Time key="t" ctx={ctx} at={f.startedAt} seconds />,
              <Badge key="s" tone={f.status === 'failed' ? 'bad' : f.status === 'ok' ? 'ok' : 'muted'}>
                {stateWord(t, 'fetch', f.status)}
              </Badge>,
              f.httpStatus ?? '—',
              `${f.items} / ${f.newItems}`,
              formatNumber(ctx, f.durationMs),
              <span key="e" className="last-error">
                {f.error ?? ''}
              </span>,
            ])}
          />
        </details>
      )}
    </Panel>
  );
}

/** "Test this source": what a fetch now finds, nothing stored. */
export function PreviewPanel({ ctx, p }: { ctx: PageContext; p: PreviewRun }) {
  const { t } = ctx;
  const shown = p.items.slice(0, 10);
  return (
    <section className="panel src-preview" id="test-result" aria-live="polite">
      <h2>{t('sources.testTitle')}</h2>
      {p.ok ? (
        <p className="notice info" role="status">
          {t('sources.testOk', {
            n: p.items.length,
            status: p.http_status ?? '—',
            kb: formatNumber(ctx, p.bytes / 1024, 1),
            ms: formatNumber(ctx, p.duration_ms),
          })}
        </p>
      ) : (
        <p className="notice error" role="alert">
          {p.timed_out ? (
            <>
              {t('sources.testTimeout', { sec: p.budget_sec })} {p.error}
            </>
          ) : (
            <>
              {t('sources.testFailed')}
              {p.error_kind && p.error_kind !== 'other' ? (
                <>
                  {t(`sources.testWhy.${p.error_kind}`, { status: p.http_status ?? '—' })}
                  <br />
                  {t('sources.testDetail')}
                  {p.error}
                </>
              ) : (
                <> {p.error}</>
              )}
            </>
          )}
        </p>
      )}
      {p.warnings.length > 0 && (
        <ul className="src-warnings">
          {p.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      <ol className="src-items">
        {shown.map((i, n) => (
          <li key={n}>
            <div className="src-item-title">
              {/^https?:\/\//i.test(i.url) ? (
                <a href={i.url} rel="noopener noreferrer" target="_blank">
                  {i.title}
                </a>
              ) : (
                i.title
              )}
            </div>
            <div className="muted">
              {i.published_at ? <Time ctx={ctx} at={i.published_at} /> : t('sources.noDate')}
              {i.author ? ` · ${i.author}` : ''}
              {' · '}
              <span className="src-item-url">{i.url}</span>
            </div>
            {i.excerpt && <p className="src-excerpt">{i.excerpt}</p>}
          </li>
        ))}
      </ol>
      {p.items.length > shown.length && (
        <p className="muted">{t('sources.testMore', { n: p.items.length - shown.length })}</p>
      )}
      <p className="muted">{t('sources.testNothingStored')}</p>
    </section>
  );
}

function SourceFormPanel(p: SourcePageProps & { admin: boolean }) {
  const { ctx, source, form, admin } = p;
  const { t } = ctx;
  const e = p.errors ?? {};
  const err = (k: string) => e[k];
  const r = form.rules;
  const save = source ? `/sources/${source.id}` : '/sources/new';
  const test = source ? `/sources/${source.id}/test` : '/sources/test';
  // a viewer sees the header names, never their values (they may hold credentials)
  const headers = admin ? form.headers : form.headers.replace(/^([^:\n]*):.*$/gm, '$1: ••••');
  return (
    <form method="post" action={save} className="src-form" data-kind={form.kind} noValidate>
      <Csrf ctx={ctx} />
      {p.formError && (
        <p className="notice error" role="alert">
          {p.formError}
        </p>
      )}
      <Panel title={t('sources.basics')}>
        <div className="src-grid">
          <Field
            label={t('sources.kind')}
            name="kind"
            type="select"
            value={form.kind}
            error={err('kind')}
            options={[
              ['rss', t('sources.kind.rssLong')],
              ['web', t('sources.kind.webLong')],
              ['dynamic', t('sources.kind.dynamicLong')],
            ]}
          />
          <Field label={t('sources.name')} name="name" value={form.name} error={err('name')} required />
          <Field
            label={t('sources.url')}
            name="url"
            type="url"
            value={form.url}
            error={err('url')}
            hint={t('sources.urlHint')}
            required
          />
          <Field label={t('sources.key')} name="key" value={form.key} error={err('key')} hint={t('sources.keyHint')} />
          <Field
            label={t('sources.weight')}
            name="weight"
            value={form.weight}
            error={err('weight')}
            hint={t('sources.weightHint')}
          />
          <Field
            label={t('sources.timezone')}
            name="timezone"
            value={form.timezone}
            error={err('timezone')}
            hint={t('sources.timezoneHint')}
            placeholder="Asia/Shanghai"
          />
        </div>
        <div className="src-checks">
          <Check name="enabled" checked={form.enabled} label={t('sources.enabledLabel')} />
          <Check
            name="allowPrivate"
            checked={form.allowPrivate}
            label={t('sources.allowPrivate')}
            error={err('allowPrivate')}
          />
        </div>
      </Panel>
      <section className="panel src-rules">
        <h2>{t('sources.rules')}</h2>
        <p className="muted">{t('sources.rulesHint')}</p>
        <div className="src-grid">
          <Field
            label="itemSelector"
            name="itemSelector"
            value={r.itemSelector}
            error={err('itemSelector')}
            hint={t('sources.itemSelectorHint')}
            placeholder="ul.news li a"
          />
          <Field
            label="titleSelector"
            name="titleSelector"
            value={r.titleSelector}
            error={err('titleSelector')}
            hint={t('sources.titleSelectorHint')}
            placeholder="h1"
          />
          <Field
            label="dateSelector"
            name="dateSelector"
            value={r.dateSelector}
            error={err('dateSelector')}
            hint={t('sources.dateSelectorHint')}
            placeholder=".date"
          />
          <Field label="authorSelector" name="authorSelector" value={r.authorSelector} error={err('authorSelector')} />
          <Field
            label="contentSelector"
            name="contentSelector"
            value={r.contentSelector}
            error={err('contentSelector')}
            hint={t('sources.contentSelectorHint')}
            placeholder="article .content"
          />
          <Field
            label="nextPageSelector"
            name="nextPageSelector"
            value={r.nextPageSelector}
            error={err('nextPageSelector')}
          />
          <Field
            label="maxPages"
            name="maxPages"
            value={r.maxPages}
            error={err('maxPages')}
            hint={t('sources.maxPagesHint')}
          />
          <div className="src-dynamic-only">
            <Field
              label="waitForSelector"
              name="waitForSelector"
              value={form.waitForSelector}
              error={err('waitForSelector')}
              hint={t('sources.waitForHint')}
            />
          </div>
          <Field
            label="listUrls"
            name="listUrls"
            type="textarea"
            value={form.listUrls}
            error={err('listUrls')}
            hint={t('sources.listUrlsHint')}
          />
        </div>
      </section>
      <Panel title={t('sources.limits')}>
        <div className="src-grid">
          <Field
            label="maxItems"
            name="maxItems"
            value={r.maxItems}
            error={err('maxItems')}
            hint={t('sources.maxItemsHint')}
          />
          <Field
            label="budgetSec"
            name="budgetSec"
            value={r.budgetSec}
            error={err('budgetSec')}
            hint={t('sources.budgetHint')}
          />
          <Field
            label={t('sources.headers')}
            name="headers"
            type="textarea"
            value={headers}
            error={err('headers')}
            hint={t('sources.headersHint')}
            placeholder="Referer: https://example.com/"
          />
        </div>
      </Panel>
      {admin && (
        <div className="actions src-form-actions">
          <button type="submit">{t(source ? 'ui.save' : 'sources.create')}</button>
          <button type="submit" className="secondary" formAction={test}>
            {t('sources.test')}
          </button>
          <span className="muted">{t('sources.testHint')}</span>
        </div>
      )}
    </form>
  );
}

function Check({ name, checked, label, error }: { name: string; checked: boolean; label: string; error?: string }) {
  return (
    <label className={error ? 'src-check invalid' : 'src-check'}>
      <input type="checkbox" name={name} defaultChecked={checked} />
      <span>{label}</span>
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </label>
  );
}

function DangerPanel({ ctx, s }: { ctx: PageContext; s: SourceListRow & { storedArticles: number } }) {
  const { t } = ctx;
  const n = s.storedArticles;
  return (
    <Panel title={t('sources.manage')}>
      <div className="actions">
        <PostButton
          ctx={ctx}
          action={`/sources/${s.id}/${s.enabled ? 'disable' : 'enable'}`}
          label={t(s.enabled ? 'sources.disable' : 'sources.enable')}
          fields={{ back: `/sources/${s.id}` }}
          kind="secondary"
        />
      </div>
      <p>{n > 0 ? t('sources.deleteWithArticles', { n }) : t('sources.deleteNoArticles')}</p>
      <form
        method="post"
        action={`/sources/${s.id}/delete`}
        className="src-delete"
        data-confirm={t('sources.deleteConfirm', { name: s.name })}
      >
        <Csrf ctx={ctx} />
        {n > 0 && (
          <label className="src-check">
            <input type="checkbox" name="articles" value={String(n)} required />
            <span>{t('sources.deleteArticlesToo', { n })}</span>
          </label>
        )}
        <button type="submit" className="danger">
          {t('ui.delete')}
        </button>
      </form>
    </Panel>
  );
}
