/** The card's footer: web-view and unsubscribe links, generation time and the disclaimer. */
import { Section } from '@react-email/section';
import { Text } from '@react-email/text';
import type { ReportModel } from '../../domain.ts';
import { disclaimer } from '../copy.ts';
import { formatDateTime, safeUrl } from '../format.ts';
import { COLORS, styles } from './theme.ts';

const footerLink = { color: COLORS.link, textDecoration: 'underline' };

export interface FooterProps {
  model: ReportModel;
  /** Link to the web view (the email only; the web view does not link to itself). */
  webViewUrl: string | null;
  unsubscribeUrl: string | null;
  /** @defaultValue 'email' */
  medium?: 'email' | 'web';
}

/** Footer of the email and the web view. */
export function Footer({ model, webViewUrl, unsubscribeUrl, medium = 'email' }: FooterProps) {
  const web = safeUrl(webViewUrl);
  const unsubscribe = safeUrl(unsubscribeUrl);
  return (
    <Section style={styles.footer} bgcolor={COLORS.footerBg}>
      {web ? (
        <Text style={{ ...styles.small, fontSize: '13px' }}>
          <a href={web} target="_blank" rel="noopener noreferrer" style={{ ...footerLink, fontWeight: 600 }}>
            在浏览器中查看完整版
          </a>
          {'\u00a0 ·\u00a0 Excel 附件含全部文章'}
        </Text>
      ) : null}
      <Text style={styles.small}>
        生成于 {formatDateTime(model.generatedAt, model.timezone)}（{model.timezone}）
      </Text>
      <Text style={styles.small}>{disclaimer(medium)}</Text>
      {unsubscribe ? (
        <Text style={{ ...styles.small, margin: 0 }}>
          不想再收到此邮件？
          <a href={unsubscribe} target="_blank" rel="noopener noreferrer" style={footerLink}>
            退订
          </a>
        </Text>
      ) : null}
    </Section>
  );
}
