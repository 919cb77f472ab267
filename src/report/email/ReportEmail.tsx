/** The email document: head for mail clients, a fluid 600 px card, content and footer. */
import { Body } from '@react-email/body';
import { Container } from '@react-email/container';
import { Head } from '@react-email/head';
import { Html } from '@react-email/html';
import { Preview } from '@react-email/preview';
import type { ReportModel } from '../../domain.ts';
import { reportTitle } from '../copy.ts';
import type { ImageMode } from './Charts.tsx';
import { ReportContent } from './Content.tsx';
import { Footer } from './Footer.tsx';
import { COLORS, styles } from './theme.ts';

/** Marks the card so `outlookWrap` can find it; data can never produce this attribute (React escapes). */
export const CONTAINER_ID = 'finrep-card';

export interface ReportEmailProps {
  model: ReportModel;
  greeting: string | null;
  omitted: number;
  unsubscribeUrl: string | null;
  /** @defaultValue 'cid' */
  images?: ImageMode;
}

/** The inbox preview line: the first top stories. */
export function previewText(model: ReportModel): string {
  const titles = model.top.slice(0, 3).map((e) => e.title);
  return titles.length > 0 ? `今日要闻：${titles.join('｜')}` : reportTitle(model);
}

/** The whole email. */
export function ReportEmail({ model, greeting, omitted, unsubscribeUrl, images = 'cid' }: ReportEmailProps) {
  return (
    <Html lang="zh-CN">
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <meta name="supported-color-schemes" content="light" />
        <title>{`${reportTitle(model)} ${model.edition}`}</title>
      </Head>
      <Preview>{previewText(model)}</Preview>
      <Body style={styles.body}>
        <Container id={CONTAINER_ID} style={styles.container} bgcolor={COLORS.card}>
          <ReportContent model={model} greeting={greeting} omitted={omitted} images={images} />
          <Footer model={model} webViewUrl={model.webViewUrl} unsubscribeUrl={unsubscribeUrl} />
        </Container>
      </Body>
    </Html>
  );
}
