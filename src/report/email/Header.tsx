/** The report's masthead (title, edition date, counts) and its market-mood block. */
import { Column } from '@react-email/column';
import { Heading } from '@react-email/heading';
import { Row } from '@react-email/row';
import { Section } from '@react-email/section';
import { Text } from '@react-email/text';
import type { ReportModel, Sentiment } from '../../domain.ts';
import { countsLine, reportTitle, windowLine } from '../copy.ts';
import { SENTIMENT_COLORS, SENTIMENT_LABELS, editionLabel, moodShares, moodSummary } from '../format.ts';
import { ChartRow } from './Charts.tsx';
import type { ImageMode } from './Charts.tsx';
import { COLORS, styles } from './theme.ts';

const headerText = { margin: 0, color: COLORS.brandMuted, fontSize: '13px', lineHeight: '20px' };

/** The dark masthead band. */
export function Masthead({ model }: { model: ReportModel }) {
  return (
    <Section style={styles.header} bgcolor={COLORS.brand}>
      <Text style={{ ...headerText, fontSize: '12px', letterSpacing: '2px' }}>FINREP · 每日金融情报</Text>
      <Heading
        as="h1"
        style={{ margin: '6px 0 4px', fontSize: '26px', lineHeight: '34px', fontWeight: 700, color: COLORS.brandInk }}
      >
        {reportTitle(model)}
      </Heading>
      <Text style={{ ...headerText, color: COLORS.brandInk, fontSize: '15px', lineHeight: '22px' }}>
        {editionLabel(model.edition)}
      </Text>
      <Text style={{ ...headerText, marginTop: '8px' }}>{countsLine(model)}</Text>
      <Text style={headerText}>{windowLine(model)}</Text>
    </Section>
  );
}

const ORDER: Sentiment[] = ['positive', 'neutral', 'negative'];

/** A proportional three-colour bar made of table cells: shows even with images blocked. */
function MoodStrip({ mood }: { mood: ReportModel['mood'] }) {
  const shares = moodShares(mood);
  const parts = ORDER.filter((s) => shares[s] > 0);
  if (parts.length === 0) return null;
  return (
    <Row style={{ borderRadius: '4px', overflow: 'hidden' }}>
      {parts.map((s) => (
        <Column
          key={s}
          width={`${shares[s]}%`}
          style={{ backgroundColor: SENTIMENT_COLORS[s].bar, height: '8px', lineHeight: '8px', fontSize: '1px' }}
        >
          {'\u00a0'}
        </Column>
      ))}
    </Row>
  );
}

/** 市场情绪: a one-phrase reading, the charts (or, without them, a proportional bar) and the counts. */
export function MoodBar({ model, images }: { model: ReportModel; images: ImageMode }) {
  const { mood } = model;
  const charts = model.charts ?? [];
  return (
    <Section style={{ margin: '16px 0 4px' }}>
      <Text style={{ margin: '0 0 8px', fontSize: '14px', lineHeight: '20px', color: COLORS.ink }}>
        <strong>市场情绪</strong>
        {'\u00a0 '}
        <span style={{ color: COLORS.body }}>{moodSummary(mood)}</span>
      </Text>
      {charts.length > 0 ? <ChartRow charts={charts} images={images} /> : <MoodStrip mood={mood} />}
      <Text style={{ ...styles.small, margin: '6px 0 0' }}>
        {ORDER.map((s, i) => (
          <span key={s}>
            {i > 0 ? '\u00a0\u00a0' : ''}
            <span style={{ color: SENTIMENT_COLORS[s].bar }}>■</span> {SENTIMENT_LABELS[s]} {mood[s]}
          </span>
        ))}
      </Text>
    </Section>
  );
}
