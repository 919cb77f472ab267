/**
 * A channel's form (new and edit) with the fields of its kind and inline errors; on edit, its state (enable,
 * delete), its test button and the test's result. The URL and the secret are write-only: the form never
 * carries them back (the URL is shown redacted, the secret only as "set").
 */
import type { ReactNode } from 'react';
import type { ChannelListRow } from '../../db/queries/console-channels.ts';
import type { PageContext } from './layout.tsx';
import { Notice } from './layout.tsx';
import { CHANNEL_KINDS, kindLabel, LastSend, redactedUrl } from './channels.tsx';
import { Badge, Csrf, Field, Page, Panel, PostButton, queryString } from './ui.tsx';

/** The form's fields as typed (the secret is never among them: it is not shown back). */
export interface ChannelFormValues {
  name: string;
  kind: string;
  url: string;
  chatId: string;
  keywords: string;
  format: string;
  maxItems: string;
  group: string;
  enabled: boolean;
}

/** The outcome of a test message, as the store reports it (never the URL or the secret). */
export type ChannelTestView =
  | { ok: true; status: number; reply: string }
  | { ok: false; error: string; code: string; status: number | null; reply: string | null };

/** What the form shows: the values, a message per wrong field, and a test's result. */
export interface ChannelFormState {
  values: ChannelFormValues;
  errors: Partial<Record<keyof ChannelFormValues | 'secret', string>>;
  formError?: string | null;
  test?: ChannelTestView | null;
}

/** A field shown only for some kinds (channels.css hides it for the others where `:has` is supported). */
function Only({ kinds, children }: { kinds: string; children: ReactNode }) {
  return (
    <div className="ch-only" data-kinds={kinds}>
      {children}
    </div>
  );
}

function Fields({ ctx, channel, form }: { ctx: PageContext; channel: ChannelListRow | null; form: ChannelFormState }) {
  const { t } = ctx;
  const { values: v, errors: e } = form;
  const secretHint = !channel
    ? t('channels.secretHint.new')
    : channel.hasSecret
      ? t('channels.secretHint.set')
      : t('channels.secretHint.unset');
  return (
    <>
      <Field
        label={t('channels.name')}
        name="name"
        value={v.name}
        error={e.name}
        hint={t('channels.nameHint')}
        required
      />
      <Field
        label={t('channels.kind')}
        name="kind"
        type="select"
        value={v.kind}
        error={e.kind}
        options={CHANNEL_KINDS.map((k): [string, string] => [k, kindLabel(ctx, k)])}
      />
      <Field
        label={t('channels.url')}
        name="url"
        type="url"
        value={v.url}
        error={e.url}
        required={!channel}
        placeholder={channel ? redactedUrl(channel.urlHost) : 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…'}
        hint={channel ? t('channels.urlHint.edit', { url: redactedUrl(channel.urlHost) }) : t('channels.urlHint.new')}
      />
      <Only kinds="feishu dingtalk">
        <label className={e.secret ? 'field invalid' : 'field'}>
          <span>{t('channels.secret')}</span>
          <input
            type="password"
            name="secret"
            autoComplete="new-password"
            defaultValue=""
            aria-invalid={e.secret ? true : undefined}
          />
          <small className="muted">{secretHint}</small>
          {e.secret && (
            <small className="field-error" role="alert">
              {e.secret}
            </small>
          )}
        </label>
        {channel?.hasSecret && (
          <label className="check">
            <input type="checkbox" name="secret_remove" value="1" /> {t('channels.secretRemove')}
          </label>
        )}
      </Only>
      <Only kinds="telegram">
        <Field
          label={t('channels.chatId')}
          name="chat_id"
          value={v.chatId}
          error={e.chatId}
          hint={t('channels.chatIdHint')}
        />
      </Only>
      <Only kinds="dingtalk">
        <Field
          label={t('channels.keywords')}
          name="keywords"
          value={v.keywords}
          error={e.keywords}
          hint={t('channels.keywordsHint')}
        />
      </Only>
      <Only kinds="webhook">
        <Field
          label={t('channels.format')}
          name="format"
          type="select"
          value={v.format || 'json'}
          error={e.format}
          options={[
            ['json', t('channels.format.json')],
            ['slack', t('channels.format.slack')],
          ]}
        />
      </Only>
      <Field
        label={t('channels.maxItems')}
        name="max_items"
        type="number"
        value={v.maxItems}
        error={e.maxItems}
        placeholder="10"
        hint={t('channels.maxItemsHint')}
      />
      <Field label={t('channels.group')} name="group" value={v.group} error={e.group} hint={t('channels.groupHint')} />
      {!channel && (
        <label className="check">
          <input type="checkbox" name="enabled" value="1" defaultChecked={v.enabled} /> {t('channels.enabled')}
        </label>
      )}
    </>
  );
}

export function ChannelFormPage({
  ctx,
  channel,
  form,
  notice,
}: {
  ctx: PageContext;
  /** null on the "new" page. */
  channel: ChannelListRow | null;
  form: ChannelFormState;
  notice?: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const title = channel ? t('channels.editTitle') : t('channels.new');
  return (
    <Page
      ctx={ctx}
      title={title}
      notice={notice}
      error={form.formError}
      actions={<a href="/channels">{t('ui.back')}</a>}
    >
      <div className="grid rcp-edit ch-edit">
        <Panel title={channel ? channel.name : t('channels.new')}>
          <form method="post" action={channel ? `/channels/${channel.id}` : '/channels'} className="stack ch-form">
            <Csrf ctx={ctx} />
            <fieldset disabled={!admin}>
              <Fields ctx={ctx} channel={channel} form={form} />
              {admin && <button type="submit">{channel ? t('ui.save') : t('ui.create')}</button>}
            </fieldset>
          </form>
        </Panel>
        {channel && <StatePanel ctx={ctx} c={channel} test={form.test ?? null} />}
      </div>
    </Page>
  );
}

function TestOutcome({ ctx, test }: { ctx: PageContext; test: ChannelTestView }) {
  const { t } = ctx;
  return (
    <div className="ch-test" id="test">
      {test.ok ? (
        <Notice kind="info">{t('channels.testOk', { status: test.status })}</Notice>
      ) : (
        <Notice kind="error">{t('channels.testFailed', { error: test.error })}</Notice>
      )}
      {test.reply && (
        <>
          <p className="muted">
            {t('channels.testReply')}
            {test.status !== null && ` · HTTP ${test.status}`}
          </p>
          <pre className="ch-reply wrap-anywhere">{test.reply}</pre>
        </>
      )}
    </div>
  );
}

function StatePanel({ ctx, c, test }: { ctx: PageContext; c: ChannelListRow; test: ChannelTestView | null }) {
  const { t } = ctx;
  return (
    <Panel title={t('channels.state')}>
      <p className="rcp-state-line">
        <Badge tone={c.enabled ? 'ok' : 'muted'}>{t(c.enabled ? 'channels.on' : 'channels.off')}</Badge>
        <span className="muted">{t('channels.lastSend')}</span> <LastSend ctx={ctx} last={c.last} />
      </p>
      <p>
        <a href={`/deliveries?${queryString({ edition: c.last?.date })}#channels`}>{t('channels.deliveries')}</a>
      </p>
      {test && <TestOutcome ctx={ctx} test={test} />}
      <div className="actions">
        <PostButton ctx={ctx} action={`/channels/${c.id}/test`} label={t('channels.test')} kind="secondary" />
      </div>
      <div className="actions rcp-danger">
        <PostButton
          ctx={ctx}
          action={`/channels/${c.id}/enabled`}
          fields={{ enabled: c.enabled ? '0' : '1', back: `/channels/${c.id}` }}
          label={t(c.enabled ? 'channels.disable' : 'channels.enable')}
          kind="secondary"
        />
        <PostButton
          ctx={ctx}
          action={`/channels/${c.id}/delete`}
          label={t('channels.delete')}
          kind="danger"
          confirm={t('channels.deleteConfirm', { name: c.name })}
        />
      </div>
    </Panel>
  );
}
