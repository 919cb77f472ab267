/** An alert rule's form (new and edit) with inline errors; on edit, its state, delete and its recent firings. */
import type { AlertFiringRow, AlertRuleRow } from '../../db/queries/console-alerts.ts';
import type { PageContext } from './layout.tsx';
import type { ChannelChoice } from './alerts.tsx';
import { Firings } from './alerts.tsx';
import { kindLabel } from './channels.tsx';
import { Badge, Csrf, Field, Page, Panel, PostButton } from './ui.tsx';

/** The form's fields as typed. */
export interface AlertFormValues {
  name: string;
  tickers: string;
  companies: string;
  keywords: string;
  minImportance: string;
  sentiment: string;
  channels: string[];
  mailGroups: string;
  quiet: string;
  dailyCap: string;
  enabled: boolean;
}

/** What the form shows: the values as typed and a message per wrong field (keys as the rules module names them). */
export interface AlertFormState {
  values: AlertFormValues;
  errors: Partial<Record<string, string>>;
  formError?: string | null;
}

function ChannelBoxes({
  ctx,
  channels,
  checked,
  error,
}: {
  ctx: PageContext;
  channels: ChannelChoice[];
  checked: string[];
  error?: string;
}) {
  const { t } = ctx;
  return (
    <fieldset className={error ? 'field invalid al-channels' : 'field al-channels'}>
      <legend>{t('alerts.channels')}</legend>
      {channels.length === 0 && (
        <small className="muted">
          {t('alerts.noChannels')} <a href="/channels/new">{t('channels.new')}</a>
        </small>
      )}
      {channels.map((c) => (
        <label key={c.id} className="check">
          <input type="checkbox" name="channels" value={c.name} defaultChecked={checked.includes(c.name)} /> {c.name}{' '}
          <small className="muted">{kindLabel(ctx, c.kind)}</small>
        </label>
      ))}
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </fieldset>
  );
}

export function AlertFormPage({
  ctx,
  rule,
  channels,
  form,
  firings = [],
  notice,
}: {
  ctx: PageContext;
  /** null on the "new" page. */
  rule: AlertRuleRow | null;
  channels: ChannelChoice[];
  form: AlertFormState;
  firings?: AlertFiringRow[];
  notice?: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const { values: v, errors: e } = form;
  const title = rule ? t('alerts.editTitle') : t('alerts.new');
  return (
    <Page ctx={ctx} title={title} notice={notice} error={form.formError} actions={<a href="/alerts">{t('ui.back')}</a>}>
      <div className="grid rcp-edit ch-edit">
        <Panel title={rule ? rule.name : t('alerts.new')}>
          <form method="post" action={rule ? `/alerts/${rule.id}` : '/alerts'} className="stack">
            <Csrf ctx={ctx} />
            <fieldset disabled={!admin}>
              <Field
                label={t('alerts.name')}
                name="name"
                value={v.name}
                error={e.name}
                hint={t('channels.nameHint')}
                required
              />
              <Field
                label={t('alerts.tickers')}
                name="tickers"
                value={v.tickers}
                error={e.tickers}
                hint={t('alerts.tickersHint')}
              />
              <Field
                label={t('alerts.companies')}
                name="companies"
                value={v.companies}
                error={e.companies}
                hint={t('alerts.companiesHint')}
              />
              <Field
                label={t('alerts.keywords')}
                name="keywords"
                value={v.keywords}
                error={e.keywords}
                hint={t('alerts.keywordsHint')}
              />
              <div className="al-row">
                <Field
                  label={t('alerts.minImportance')}
                  name="min_importance"
                  type="select"
                  value={v.minImportance}
                  error={e.min_importance}
                  options={[
                    ['0', t('alerts.importanceAny')],
                    ...[1, 2, 3, 4, 5].map((n): [string, string] => [String(n), `≥ ${n}`]),
                  ]}
                />
                <Field
                  label={t('alerts.sentiment')}
                  name="sentiment"
                  type="select"
                  value={v.sentiment}
                  error={e.sentiment}
                  options={(['', 'positive', 'neutral', 'negative'] as const).map((s): [string, string] => [
                    s,
                    t(`alerts.sentiment.${s || 'any'}`),
                  ])}
                />
              </div>
              <ChannelBoxes ctx={ctx} channels={channels} checked={v.channels} error={e.channels} />
              <Field
                label={t('alerts.mailGroups')}
                name="mail_groups"
                value={v.mailGroups}
                error={e.mail_groups}
                hint={t('alerts.mailGroupsHint')}
              />
              <div className="al-row">
                <Field
                  label={t('alerts.quiet')}
                  name="quiet"
                  value={v.quiet}
                  error={e.quiet}
                  placeholder="22:00-07:00"
                  hint={t('alerts.quietHint', { tz: ctx.timeZone })}
                />
                <Field
                  label={t('alerts.dailyCap')}
                  name="daily_cap"
                  type="number"
                  value={v.dailyCap}
                  error={e.daily_cap}
                  hint={t('alerts.dailyCapHint')}
                />
              </div>
              <label className="check">
                <input type="checkbox" name="enabled" value="1" defaultChecked={v.enabled} /> {t('alerts.enabled')}
              </label>
              {admin && <button type="submit">{rule ? t('ui.save') : t('ui.create')}</button>}
            </fieldset>
          </form>
        </Panel>
        {rule && (
          <Panel title={t('channels.state')}>
            <p className="rcp-state-line">
              <Badge tone={rule.enabled ? 'ok' : 'muted'}>{t(rule.enabled ? 'channels.on' : 'channels.off')}</Badge>
              <span className="muted">
                {t('alerts.today')} {rule.today} / {rule.dailyCap}
              </span>
            </p>
            <div className="actions rcp-danger">
              <PostButton
                ctx={ctx}
                action={`/alerts/${rule.id}/delete`}
                label={t('alerts.delete')}
                kind="danger"
                confirm={t('alerts.deleteConfirm', { name: rule.name })}
              />
            </div>
          </Panel>
        )}
      </div>
      {rule && (
        <Panel title={t('alerts.firings')}>
          <Firings ctx={ctx} rows={firings} />
        </Panel>
      )}
    </Page>
  );
}
