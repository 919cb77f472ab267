/** The CSV import: the upload form, the refused file's bad lines, or the preview with its "import" button. */
import type { PageContext } from './layout.tsx';
import { Notice } from './layout.tsx';
import { reasonText } from './recipients-words.ts';
import { Csrf, formatNumber, Page, Panel, Table } from './ui.tsx';

/** What the file would do, and the file itself (base64) for the apply form. */
export interface ImportPreview {
  file: string;
  encoding: string;
  creates: string[];
  updates: string[];
  duplicates: { email: string; lines: number[] }[];
  unsubscribed: string[];
  disabled: string[];
  csv: string;
}

export interface ImportPageProps {
  ctx: PageContext;
  error?: string | null;
  /** The file's name, with `invalid` or `preview`. */
  file?: string;
  invalid?: { line: number; value: string; reason: string }[];
  preview?: ImportPreview;
}

/** How many addresses a list shows before "… and N more". */
const SHOWN = 200;

function Addresses({ ctx, list }: { ctx: PageContext; list: string[] }) {
  return (
    <ul className="rcp-list">
      {list.slice(0, SHOWN).map((e) => (
        <li key={e} className="wrap-anywhere">
          {e}
        </li>
      ))}
      {list.length > SHOWN && <li className="muted">{ctx.t('recipients.csv.more', { n: list.length - SHOWN })}</li>}
    </ul>
  );
}

function UploadForm({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <form method="post" action="/recipients/import" encType="multipart/form-data" className="stack">
      <Csrf ctx={ctx} />
      <label className="field">
        <span>{t('recipients.csv.file')}</span>
        <input type="file" name="file" accept=".csv,text/csv,text/plain" required />
        <small className="muted">{t('recipients.csv.help')}</small>
      </label>
      <button type="submit">{t('recipients.csv.preview')}</button>
    </form>
  );
}

function PreviewPanel({ ctx, p }: { ctx: PageContext; p: ImportPreview }) {
  const { t } = ctx;
  const valid = p.creates.length + p.updates.length;
  return (
    <Panel title={t('recipients.csv.previewTitle')}>
      <p>
        {t('recipients.csv.fileSummary', {
          file: p.file,
          encoding: p.encoding.toUpperCase(),
          valid: formatNumber(ctx, valid),
        })}
      </p>
      <div className="grid rcp-preview">
        <section>
          <h3>{t('recipients.csv.willCreate', { n: formatNumber(ctx, p.creates.length) })}</h3>
          <Addresses ctx={ctx} list={p.creates} />
        </section>
        <section>
          <h3>{t('recipients.csv.willUpdate', { n: formatNumber(ctx, p.updates.length) })}</h3>
          <Addresses ctx={ctx} list={p.updates} />
        </section>
      </div>
      {p.duplicates.length > 0 && (
        <>
          <h3>{t('recipients.csv.duplicates')}</h3>
          <ul className="rcp-list">
            {p.duplicates.slice(0, SHOWN).map((d) => (
              <li key={d.email} className="wrap-anywhere">
                {d.email} — {t('recipients.csv.lines', { lines: d.lines.join(', ') })}
              </li>
            ))}
          </ul>
        </>
      )}
      {p.unsubscribed.length > 0 && (
        <>
          <h3>{t('recipients.csv.stayUnsubscribed')}</h3>
          <Addresses ctx={ctx} list={p.unsubscribed} />
        </>
      )}
      {p.disabled.length > 0 && (
        <>
          <h3>{t('recipients.csv.stayDisabled')}</h3>
          <Addresses ctx={ctx} list={p.disabled} />
        </>
      )}
      <form method="post" action="/recipients/import/apply" encType="multipart/form-data" className="actions">
        <Csrf ctx={ctx} />
        <input type="hidden" name="name" value={p.file} />
        <input type="hidden" name="csv" value={p.csv} />
        <button type="submit">{t('recipients.csv.apply')}</button>
        <a href="/recipients/import">{t('ui.cancel')}</a>
      </form>
    </Panel>
  );
}

export function ImportPage({ ctx, error, file, invalid, preview }: ImportPageProps) {
  const { t } = ctx;
  return (
    <Page ctx={ctx} title={t('recipients.csv.title')} error={error} actions={<a href="/recipients">{t('ui.back')}</a>}>
      {invalid && invalid.length > 0 && (
        <Panel title={file}>
          <Notice kind="error">{t('recipients.csv.rejected', { n: invalid.length })}</Notice>
          <Table
            ctx={ctx}
            head={[t('recipients.csv.line'), t('recipients.csv.value'), t('recipients.csv.reason')]}
            rows={invalid.map((i) => [
              <span key="l" className="rcp-line">
                {i.line}
              </span>,
              <code key="v" className="wrap-anywhere">
                {i.value}
              </code>,
              reasonText(ctx, i.reason),
            ])}
          />
        </Panel>
      )}
      {preview ? (
        <PreviewPanel ctx={ctx} p={preview} />
      ) : (
        <Panel>
          <UploadForm ctx={ctx} />
        </Panel>
      )}
    </Page>
  );
}
