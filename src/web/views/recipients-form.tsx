/** A recipient's form (new and edit) with inline errors, and on edit its state: enable, re-subscribe, delete. */
import type { RecipientRow } from '../../db/queries/recipients.ts';
import type { PageContext } from './layout.tsx';
import { Notice } from './layout.tsx';
import { RecipientState } from './recipients.tsx';
import { Csrf, Field, formatTime, Page, Panel, PostButton, queryString, Time } from './ui.tsx';

/** What the form shows: the values as typed, and a message per field that is wrong. */
export interface RecipientFormState {
  values: { email: string; name: string; groups: string };
  errors: { email?: string; name?: string; groups?: string; reason?: string };
  /** On "this address exists": the existing recipient's id, linked from the error. */
  existingId?: number;
}

export function RecipientFormPage({
  ctx,
  recipient,
  form,
  notice,
}: {
  ctx: PageContext;
  /** null on the "new" page. */
  recipient: RecipientRow | null;
  form: RecipientFormState;
  notice?: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const { values, errors } = form;
  const title = recipient ? t('recipients.editTitle') : t('recipients.new');
  return (
    <Page ctx={ctx} title={title} notice={notice} actions={<a href="/recipients">{t('ui.back')}</a>}>
      <div className="grid rcp-edit">
        <Panel title={recipient ? recipient.email : t('recipients.new')}>
          <form method="post" action={recipient ? `/recipients/${recipient.id}` : '/recipients'} className="stack">
            <Csrf ctx={ctx} />
            <fieldset disabled={!admin}>
              {recipient ? (
                <Field
                  label={t('recipients.email')}
                  name="email_shown"
                  value={recipient.email}
                  hint={t('recipients.emailFixed')}
                />
              ) : (
                <Field
                  label={t('recipients.email')}
                  name="email"
                  type="email"
                  value={values.email}
                  error={errors.email}
                  required
                />
              )}
              {form.existingId !== undefined && (
                <p className="rcp-exists">
                  <a href={`/recipients/${form.existingId}`}>{t('recipients.openExisting')}</a>
                </p>
              )}
              <Field label={t('recipients.name')} name="name" value={values.name} error={errors.name} />
              <Field
                label={t('recipients.groups')}
                name="groups"
                value={values.groups}
                error={errors.groups}
                hint={t('recipients.groupsHint')}
              />
              {admin && <button type="submit">{recipient ? t('ui.save') : t('ui.create')}</button>}
            </fieldset>
          </form>
        </Panel>
        {recipient && <StatePanel ctx={ctx} r={recipient} reasonError={errors.reason} />}
      </div>
    </Page>
  );
}

function StatePanel({ ctx, r, reasonError }: { ctx: PageContext; r: RecipientRow; reasonError?: string }) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  return (
    <Panel title={t('recipients.state')}>
      <p className="rcp-state-line">
        <RecipientState ctx={ctx} r={r} />{' '}
        <span className="muted">
          {t('recipients.created_at')} <Time ctx={ctx} at={r.createdAt} />
        </span>
      </p>
      <p>
        <a href={`/deliveries?${queryString({ edition: 'all', recipient: r.email })}`}>{t('recipients.deliveries')}</a>
      </p>
      {r.unsubscribedAt && (
        <>
          <Notice kind="info">{t('recipients.unsubscribedNote', { at: formatTime(ctx, r.unsubscribedAt) })}</Notice>
          {admin && (
            <form
              method="post"
              action={`/recipients/${r.id}/resubscribe`}
              className="stack"
              data-confirm={t('recipients.resubscribeConfirm', { email: r.email })}
            >
              <Csrf ctx={ctx} />
              <Field
                label={t('recipients.resubscribeReason')}
                name="reason"
                error={reasonError}
                placeholder={t('recipients.resubscribeHint')}
                required
              />
              <button type="submit" className="secondary">
                {t('recipients.resubscribe')}
              </button>
            </form>
          )}
        </>
      )}
      {admin && (
        <div className="actions rcp-danger">
          <PostButton
            ctx={ctx}
            action={`/recipients/${r.id}/enabled`}
            fields={{ enabled: r.enabled ? '0' : '1', back: `/recipients/${r.id}` }}
            label={t(r.enabled ? 'recipients.disable' : 'recipients.enable')}
            kind="secondary"
          />
          <PostButton
            ctx={ctx}
            action={`/recipients/${r.id}/delete`}
            label={t('recipients.delete')}
            kind="danger"
            confirm={t('recipients.deleteConfirm', { email: r.email })}
          />
        </div>
      )}
    </Panel>
  );
}
