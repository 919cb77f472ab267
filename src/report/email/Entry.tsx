/**
 * One story of the report: linked title, sentiment tag, sources, time, summary and tickers. Stories are
 * table rows of one table per list, with plain elements inside: every byte counts against Gmail's
 * 102 KB clipping limit, and fonts are inherited from the card.
 */
import { Fragment } from 'react';
import type { CSSProperties } from 'react';
import { CATEGORY_LABELS } from '../../domain.ts';
import type { ReportEntry } from '../../domain.ts';
import {
  SENTIMENT_COLORS,
  SENTIMENT_LABELS,
  coverageLabel,
  formatTime,
  safeUrl,
  scoreBreakdown,
  sourceNames,
} from '../format.ts';
import { COLORS, styles } from './theme.ts';

/** How a story is shown: the web view adds the score breakdown (explainable ranking). */
export interface EntryOptions {
  timezone: string;
  explain: boolean;
}

/** The story's title, linked only when its URL is http(s). */
export function EntryTitle({ entry }: { entry: ReportEntry }) {
  const href = safeUrl(entry.url);
  if (!href) return <>{entry.title}</>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" style={styles.link}>
      {entry.title}
    </a>
  );
}

/** A coloured 利好/中性/利空 label. */
export function SentimentTag({ entry }: { entry: ReportEntry }) {
  const c = SENTIMENT_COLORS[entry.sentiment];
  return <span style={{ ...styles.tag, color: c.fg, backgroundColor: c.bg }}>{SENTIMENT_LABELS[entry.sentiment]}</span>;
}

/** A 关注 label for stories matching the operator's watch list (the matches in its tooltip). */
function WatchTag({ hits }: { hits: string[] }) {
  return (
    <span style={styles.watchTag} title={`关注：${hits.join('、')}`}>
      关注
    </span>
  );
}

/** A 已预警 label for stories an intraday alert already pushed (read out with its meaning). */
function AlertedTag() {
  return (
    <span style={styles.alertTag} title="盘中已推送预警" aria-label="已预警：盘中已推送">
      已预警
    </span>
  );
}

function EntryBody({ entry, opts, showCategory }: { entry: ReportEntry; opts: EntryOptions; showCategory: boolean }) {
  const { timezone } = opts;
  const hits = entry.watchHits ?? [];
  // Short parts never wrap inside (`3 家媒体报道`, `11-09 16:00`); only the source list may, so a
  // phone breaks the line between parts.
  const tail = [coverageLabel(entry), formatTime(entry.publishedAt, timezone)].filter((s) => s.length > 0);
  return (
    <>
      <p style={styles.title}>
        <EntryTitle entry={entry} />
      </p>
      <p style={styles.meta}>
        <span style={styles.nowrap}>
          <SentimentTag entry={entry} />
          {hits.length > 0 ? (
            <>
              {'\u00a0'}
              <WatchTag hits={hits} />
            </>
          ) : null}
          {entry.alerted ? (
            <>
              {'\u00a0'}
              <AlertedTag />
            </>
          ) : null}
          {showCategory ? `\u00a0 ${CATEGORY_LABELS[entry.category]}\u00a0·` : ''}
        </span>{' '}
        {sourceNames(entry)}
        {tail.map((part) => (
          <Fragment key={part}>
            {' '}
            <span style={styles.nowrap}>{`·\u00a0${part}`}</span>
          </Fragment>
        ))}
      </p>
      {entry.summary ? <p style={styles.summary}>{entry.summary}</p> : null}
      {entry.tickers.length > 0 ? (
        <p style={styles.tickers}>
          {entry.tickers.map((t, i) => (
            // A plain space between chips, so a phone can wrap a long row.
            <Fragment key={t}>
              {i > 0 ? ' ' : null}
              <span style={styles.ticker}>{t}</span>
            </Fragment>
          ))}
        </p>
      ) : null}
      {opts.explain ? <p style={styles.explain}>{scoreBreakdown(entry)}</p> : null}
    </>
  );
}

const cell: CSSProperties = { borderBottom: `1px solid ${COLORS.rule}`, padding: '12px 0', verticalAlign: 'top' };
const rankCell: CSSProperties = {
  ...cell,
  width: '28px',
  fontSize: '18px',
  lineHeight: '24px',
  fontWeight: 700,
  color: COLORS.accent,
};

/** A row of the 今日要闻 table: the rank in the margin, the category in the meta line. */
export function TopEntry({ entry, opts }: { entry: ReportEntry; opts: EntryOptions }) {
  return (
    <tr>
      <td style={rankCell} width="28">
        {entry.rank}
      </td>
      <td style={cell}>
        <EntryBody entry={entry} opts={opts} showCategory />
      </td>
    </tr>
  );
}

/** A row of a category section's table. */
export function SectionEntry({ entry, opts }: { entry: ReportEntry; opts: EntryOptions }) {
  return (
    <tr>
      <td style={cell}>
        <EntryBody entry={entry} opts={opts} showCategory={false} />
      </td>
    </tr>
  );
}
