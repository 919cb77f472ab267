/**
 * 系统设置: the runtime overrides, grouped (report, models, mail), each with its effective value, where it
 * comes from, its form with the inline error of a refused save, and a reset. Viewers see the values only.
 */
import type { MessageKey } from '../i18n/index.ts';
import type { FormValues, SettingId, SettingState } from '../routes/settings/fields.ts';
import { FACTORS } from '../../score/index.ts';
import type { PageContext } from './layout.tsx';
import { Badge, Csrf, Field, Page, Panel, PostButton, Time } from './ui.tsx';

const GROUPS: { title: MessageKey; ids: SettingId[] }[] = [
  { title: 'settings.group.report', ids: ['REPORT_TOPN', 'SCHEDULE_CRON', 'watchlist', 'score_weights'] },
  {
    title: 'settings.group.llm',
    ids: ['LLM_PROVIDERS', 'LLM_DAILY_BUDGET', 'LLM_MONTHLY_BUDGET', 'LLM_PRICES'],
  },
  { title: 'settings.group.mail', ids: ['MAIL_RATE_LIMIT_PER_SEC'] },
  { title: 'settings.group.ops', ids: ['OPS_ALERT_CHANNELS'] },
];

export interface SettingsProps {
  ctx: PageContext;
  states: SettingState[];
  refused: { id: SettingId; error: string; form: FormValues } | null;
  notice: string | null;
  /** The providers the environment configures (the order may name only these). */
  providers: string[];
  effectiveOrder: string[];
}

export function SettingsPage(props: SettingsProps) {
  const { ctx, states, refused } = props;
  return (
    <Page
      ctx={ctx}
      title={ctx.t('settings.title')}
      notice={props.notice}
      error={refused ? ctx.t('settings.refused') : null}
    >
      <p className="muted settings-intro">{ctx.t('settings.intro')}</p>
      {GROUPS.map((g) => (
        <Panel key={g.title} title={ctx.t(g.title)}>
          <div className="settings-list">
            {g.ids.map((id) => (
              <Setting
                key={id}
                {...props}
                state={states.find((s) => s.id === id)!}
                refused={refused?.id === id ? refused : null}
              />
            ))}
          </div>
        </Panel>
      ))}
      <Panel title={ctx.t('settings.restart.title')}>
        <p className="muted">{ctx.t('settings.restart.body')}</p>
        <p className="muted">{ctx.t('settings.secrets')}</p>
      </Panel>
    </Page>
  );
}

function Setting({
  ctx,
  state,
  refused,
  providers,
  effectiveOrder,
}: SettingsProps & { state: SettingState; refused: SettingsProps['refused'] }) {
  const { id } = state;
  const form = refused?.form ?? state.form;
  const admin = ctx.user?.role === 'admin';
  const env = id.toUpperCase() === id;
  return (
    <section className="setting" id={id}>
      <div className="setting-head">
        <h3>{ctx.t(`settings.${id}.label` as MessageKey)}</h3>
        {env && <code className="setting-var">{id}</code>}
        {state.overridden ? (
          <Badge tone="info">{ctx.t('settings.source.override')}</Badge>
        ) : (
          <Badge tone="muted">{ctx.t(env ? 'settings.source.env' : 'settings.source.default')}</Badge>
        )}
      </div>
      <p className="muted setting-hint">
        {ctx.t(`settings.${id}.hint` as MessageKey, { providers: providers.join(', ') })}
      </p>
      {env && (
        <dl className="setting-values">
          <dt>{ctx.t('settings.effective')}</dt>
          <dd className="wrap-anywhere setting-effective">
            {state.effective ?? shown(ctx, id, state.overridden ? state.form.value! : state.base.value!)}
          </dd>
          <dt>{ctx.t('settings.envValue')}</dt>
          <dd className="wrap-anywhere">{shown(ctx, id, state.base.value!)}</dd>
          {id === 'LLM_PROVIDERS' && (
            <>
              <dt>{ctx.t('settings.chain')}</dt>
              <dd>{[...effectiveOrder, 'local'].join(' → ')}</dd>
            </>
          )}
        </dl>
      )}
      {state.problem && <p className="field-error">{ctx.t('settings.ignored', { problem: state.problem })}</p>}
      {admin ? (
        <form method="post" action={`/settings/${id}`} className="setting-form" noValidate>
          <Csrf ctx={ctx} />
          <Inputs ctx={ctx} id={id} form={form} error={refused?.error ?? null} />
          <div className="actions">
            <button type="submit">{ctx.t('ui.save')}</button>
          </div>
        </form>
      ) : (
        !env && <Inputs ctx={ctx} id={id} form={form} error={null} readOnly />
      )}
      {state.overridden && (
        <div className="setting-foot">
          <span className="muted">
            {ctx.t('settings.changedBy', { who: state.updatedBy ?? '—' })} <Time ctx={ctx} at={state.updatedAt} />
          </span>
          <PostButton
            ctx={ctx}
            action={`/settings/${id}/reset`}
            label={ctx.t('settings.reset')}
            kind="secondary"
            confirm
          />
        </div>
      )}
    </section>
  );
}

const WATCH = ['tickers', 'companies', 'keywords'] as const;

/**
 * A refused value's reason in the page's language: the settings' schemas (the environment's, read at start
 * too) speak English, so a Chinese page says that the value was refused and quotes the schema's words.
 */
function refusal(ctx: PageContext, error: string | null): string | null {
  return error === null ? null : ctx.t('settings.invalidValue', { error });
}

/** A refused form's error goes beside the field it names (`tickers.3: …`), else beside the first. */
function errorOf(name: string, names: readonly string[], i: number, error: string | null): string | null {
  if (!error) return null;
  const named = names.find((n) => error.startsWith(`${n}.`) || error.startsWith(`${n}:`));
  return named === name || (named === undefined && i === 0) ? error : null;
}

/** An env value as read: an empty budget is "no cap". */
function shown(ctx: PageContext, id: SettingId, v: string): string {
  if (v === '')
    return ctx.t(
      id === 'LLM_PRICES' ? 'settings.builtIn' : id === 'OPS_ALERT_CHANNELS' ? 'settings.noChannels' : 'settings.noCap',
    );
  return v;
}

function Inputs({
  ctx,
  id,
  form,
  error,
  readOnly,
}: {
  ctx: PageContext;
  id: SettingId;
  form: FormValues;
  error: string | null;
  readOnly?: boolean;
}) {
  if (id === 'watchlist')
    return (
      <fieldset className="setting-fields watch" disabled={readOnly}>
        {WATCH.map((p, i) => (
          <Field
            key={p}
            type="textarea"
            name={p}
            label={ctx.t(`settings.watch.${p}` as MessageKey)}
            value={form[p]}
            error={refusal(ctx, errorOf(p, WATCH, i, error))}
          />
        ))}
      </fieldset>
    );
  if (id === 'score_weights')
    return (
      <fieldset className="setting-fields weights" disabled={readOnly}>
        {FACTORS.map((f, i) => (
          <Field
            key={f}
            name={f}
            label={ctx.t(`settings.factor.${f}` as MessageKey)}
            value={form[f]}
            error={refusal(ctx, errorOf(f, FACTORS, i, error))}
          />
        ))}
      </fieldset>
    );
  return (
    <div className="setting-fields">
      <Field
        type={id === 'LLM_PRICES' ? 'textarea' : 'text'}
        name="value"
        label={ctx.t('settings.value')}
        value={form.value}
        error={refusal(ctx, error)}
        placeholder={id === 'LLM_PRICES' ? '{"deepseek-chat":{"input_hit":0.2,"input_miss":2,"output":3}}' : undefined}
      />
    </div>
  );
}
