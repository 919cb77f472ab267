/**
 * `/reports/<date>/review`: the editorial gate's page. The draft's email as recipients would get it (in a
 * sandboxed frame, served under its own strict CSP), each list of stories with drop / pin / up / down and the
 * summary's editor, dropped stories to restore, a test copy to oneself, and approve.
 */
import type { ReportEntry } from '../../domain.ts';
import type { PageContext } from './layout.tsx';
import { formatDeadline, sectionName, StoryLink } from './reports.tsx';
import { Badge, Csrf, Panel, Page, PostButton } from './ui.tsx';

export interface ReviewPageProps {
  ctx: PageContext;
  date: string;
  deadline: Date | null;
  lists: { key: string; label: string; items: ReportEntry[] }[];
  dropped: ReportEntry[];
  pinned: number[];
  counts: { dropped: number; pinned: number; summaries: number };
  /** Bumps the preview's URL after each change, so the frame never shows a cached draft. */
  version: string;
  notice?: string | null;
  error?: string | null;
}

export function ReviewPage(p: ReviewPageProps) {
  const { ctx, date } = p;
  const { t } = ctx;
  const base = `/reports/${date}/review`;
  const actions = (
    <>
      <a className="rp-button secondary" href={`/reports/${date}/detail`}>
        {t('ui.back')}
      </a>
      <PostButton
        ctx={ctx}
        action={`${base}/test`}
        label={t('reports.sendTest', { email: ctx.user?.email ?? '' })}
        kind="secondary"
      />
      <PostButton
        ctx={ctx}
        action={`${base}/approve`}
        label={t('reports.approve')}
        confirm={t('reports.approveConfirm')}
      />
    </>
  );
  return (
    <Page ctx={ctx} title={t('reports.reviewTitle', { date })} actions={actions} notice={p.notice} error={p.error}>
      <p className="notice info">{t('reports.reviewWaits', { deadline: formatDeadline(ctx, p.deadline) })}</p>
      <p className="muted">{t('reports.edits', p.counts)}</p>
      <div className="rp-review">
        <div className="rp-lists">
          {p.lists.map((l) => (
            <Panel key={l.key} title={l.key === 'top' ? t('reports.topStories') : sectionName(ctx, l.key, l.label)}>
              <ol className="rp-items">
                {l.items.map((s, i) => (
                  <StoryEditor
                    key={s.articleId}
                    ctx={ctx}
                    base={base}
                    s={s}
                    pinned={p.pinned.includes(s.articleId)}
                    first={i === 0}
                    last={i === l.items.length - 1}
                  />
                ))}
              </ol>
            </Panel>
          ))}
          {p.dropped.length > 0 && (
            <Panel title={t('reports.dropped')}>
              <ul className="rp-items">
                {p.dropped.map((s) => (
                  <li key={s.articleId} className="rp-item dropped">
                    <div className="rp-title">
                      <s>{s.title}</s>
                    </div>
                    <div className="rp-buttons">
                      <EditButton ctx={ctx} base={base} id={s.articleId} op="restore" label={t('reports.restore')} />
                    </div>
                  </li>
                ))}
              </ul>
            </Panel>
          )}
        </div>
        <Panel title={t('reports.preview')}>
          <p className="muted">{t('reports.previewHelp')}</p>
          <iframe
            className="rp-preview"
            title={t('reports.preview')}
            src={`${base}/preview?v=${encodeURIComponent(p.version)}`}
            sandbox=""
            referrerPolicy="no-referrer"
          />
        </Panel>
      </div>
    </Page>
  );
}

function EditButton({
  ctx,
  base,
  id,
  op,
  label,
  kind = 'secondary',
}: {
  ctx: PageContext;
  base: string;
  id: number;
  op: string;
  label: string;
  kind?: 'secondary' | 'danger';
}) {
  return <PostButton ctx={ctx} action={`${base}/edit`} label={label} fields={{ op, id }} kind={kind} />;
}

/** One story of the draft: its headline and summary, its buttons, and the summary's editor. */
function StoryEditor({
  ctx,
  base,
  s,
  pinned,
  first,
  last,
}: {
  ctx: PageContext;
  base: string;
  s: ReportEntry;
  pinned: boolean;
  first: boolean;
  last: boolean;
}) {
  const { t } = ctx;
  return (
    <li className="rp-item" id={`s${s.articleId}`} data-article={s.articleId}>
      <div className="rp-title">
        {pinned && <Badge tone="info">{t('reports.pinned')}</Badge>} <StoryLink e={s} />{' '}
        <span className="muted">· {s.source}</span>
      </div>
      <p className="rp-summary wrap-anywhere">{s.summary}</p>
      <div className="rp-buttons">
        {!pinned && !first && <EditButton ctx={ctx} base={base} id={s.articleId} op="up" label={t('reports.up')} />}
        {!pinned && !last && <EditButton ctx={ctx} base={base} id={s.articleId} op="down" label={t('reports.down')} />}
        <EditButton
          ctx={ctx}
          base={base}
          id={s.articleId}
          op={pinned ? 'unpin' : 'pin'}
          label={t(pinned ? 'reports.unpin' : 'reports.pin')}
        />
        <EditButton ctx={ctx} base={base} id={s.articleId} op="drop" label={t('reports.drop')} kind="danger" />
      </div>
      {ctx.user?.role === 'admin' && (
        <details className="rp-edit">
          <summary>{t('reports.editSummary')}</summary>
          <form method="post" action={`${base}/edit`}>
            <Csrf ctx={ctx} />
            <input type="hidden" name="op" value="summary" />
            <input type="hidden" name="id" value={s.articleId} />
            <textarea name="summary" defaultValue={s.summary} rows={3} maxLength={500} required />
            <button type="submit">{t('ui.save')}</button>
          </form>
        </details>
      )}
    </li>
  );
}
