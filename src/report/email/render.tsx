/** Server rendering of the email: react-email, Outlook wrapping, Gmail-size trimming. */
import { render } from '@react-email/render';
import type { ReportModel } from '../../domain.ts';
import { greetingFor } from '../copy.ts';
import type { ImageMode } from './Charts.tsx';
import { fitToBudget } from '../trim.ts';
import { CONTAINER_ID, ReportEmail } from './ReportEmail.tsx';
import { MAX_WIDTH } from './theme.ts';

/** Gmail clips messages above 102 KB; stay clear of it. @defaultValue 95 KiB */
export const EMAIL_BYTE_BUDGET = 95 * 1024;

/** Outlook for Windows (Word engine) ignores max-width and font fallbacks; these conditional blocks fix both. */
const MSO_HEAD =
  "<!--[if mso]><style>table,td,p,h1,span,a{font-family:'Microsoft YaHei',Arial,sans-serif !important;}</style><![endif]-->";
const MSO_OPEN = `<!--[if mso]><table role="presentation" width="${MAX_WIDTH}" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->`;
const MSO_CLOSE = '<!--[if mso]></td></tr></table><![endif]-->';

/**
 * Wraps the card in a fixed-width "ghost table" only Outlook sees, and adds the Outlook font rule. Only
 * markup rendered by our own components is matched: third-party text is escaped and cannot contain `<`.
 */
export function outlookWrap(html: string): string {
  const open = new RegExp(`<table[^>]*\\sid="${CONTAINER_ID}"[^>]*>`).exec(html);
  if (!open) return html;
  const start = open.index;
  const tags = /<table\b|<\/table>/g;
  tags.lastIndex = start + open[0].length;
  let depth = 1;
  let end = -1;
  for (let m = tags.exec(html); m; m = tags.exec(html)) {
    depth += m[0] === '</table>' ? -1 : 1;
    if (depth === 0) {
      end = m.index + m[0].length;
      break;
    }
  }
  if (end < 0) return html;
  const wrapped = html.slice(0, start) + MSO_OPEN + html.slice(start, end) + MSO_CLOSE + html.slice(end);
  return wrapped.replace('</head>', `${MSO_HEAD}</head>`);
}

/**
 * How many section stories the last email of a model kept: the deliver stage renders one email per
 * recipient, and recipients differ by a few bytes, so the next fit starts there and renders once.
 */
const keptByModel = new WeakMap<ReportModel, number>();

/** Renders the email, trimming section stories when it would exceed the byte budget. */
export async function renderEmail(
  model: ReportModel,
  opts: { recipientName: string | null; unsubscribeUrl: string | null; budget?: number; images?: ImageMode },
): Promise<{ html: string; bytes: number; omitted: number }> {
  const greeting = greetingFor(opts.recipientName);
  const images = opts.images ?? 'cid';
  const draw = async (m: ReportModel, omitted: number): Promise<string> =>
    outlookWrap(
      await render(
        <ReportEmail
          model={m}
          greeting={greeting}
          omitted={omitted}
          unsubscribeUrl={opts.unsubscribeUrl}
          images={images}
        />,
      ),
    );
  const fitted = await fitToBudget(model, opts.budget ?? EMAIL_BYTE_BUDGET, draw, keptByModel.get(model));
  keptByModel.set(model, fitted.kept);
  return { html: fitted.output, bytes: fitted.bytes, omitted: fitted.omitted };
}
