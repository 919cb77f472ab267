/**
 * The edition's web view: a standalone HTML document with the email's content (untrimmed), locked down
 * by a CSP that allows no script, no external resource and no form.
 */
import { Container } from '@react-email/container';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReportModel } from '../domain.ts';
import { reportTitle } from './copy.ts';
import { ReportContent } from './email/Content.tsx';
import { Footer } from './email/Footer.tsx';
import { COLORS, FONT_STACK, styles } from './email/theme.ts';
import { editionLabel } from './format.ts';

/** The web view's Content-Security-Policy (also worth sending as a header by the server). */
export const WEB_VIEW_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function WebView({ model }: { model: ReportModel }) {
  const title = `${reportTitle(model)} ${editionLabel(model.edition)}`;
  return (
    <html lang="zh-CN">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta httpEquiv="Content-Security-Policy" content={WEB_VIEW_CSP} />
        <meta name="color-scheme" content="light" />
        <title>{title}</title>
      </head>
      <body
        style={{
          margin: 0,
          padding: '16px 8px',
          backgroundColor: COLORS.page,
          color: COLORS.ink,
          fontFamily: FONT_STACK,
        }}
      >
        <main>
          <Container style={{ ...styles.container, maxWidth: '720px' }}>
            <ReportContent model={model} greeting={null} omitted={0} images="data" explain />
            <Footer model={model} webViewUrl={null} unsubscribeUrl={null} medium="web" />
          </Container>
        </main>
      </body>
    </html>
  );
}

/** Renders the web view as a full HTML document. */
export function renderWeb(model: ReportModel): string {
  return `<!doctype html>${renderToStaticMarkup(<WebView model={model} />)}`;
}
