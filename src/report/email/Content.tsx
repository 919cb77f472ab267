/**
 * The body of the report, shared by the email and the web view: masthead, greeting, mood, 今日要闻, the
 * category sections and the note about stories left out of the email.
 */
import type { ReactNode } from 'react';
import { Section } from '@react-email/section';
import type { ReportModel } from '../../domain.ts';
import { omittedLine } from '../copy.ts';
import { orderedSections } from '../format.ts';
import type { ImageMode } from './Charts.tsx';
import { SectionEntry, TopEntry } from './Entry.tsx';
import { Masthead, MoodBar } from './Header.tsx';
import { COLORS, styles } from './theme.ts';

/** A titled list of stories: heading, then one table whose rows are the stories. */
function StoryList({ label, count, children }: { label: string; count: number; children: ReactNode }) {
  return (
    <>
      <h2 style={styles.sectionTitle}>
        {label}
        <span style={styles.sectionCount}>{`\u00a0 ${count} 条`}</span>
      </h2>
      <table role="presentation" width="100%" cellPadding={0} cellSpacing={0} border={0}>
        <tbody>{children}</tbody>
      </table>
    </>
  );
}

export interface ContentProps {
  model: ReportModel;
  /** Greeting line (`李明，您好！…`), or null. */
  greeting: string | null;
  /** Stories left out of `model.sections` (0 when nothing was trimmed). */
  omitted: number;
  /** Where the charts' bytes come from. @defaultValue 'cid' */
  images?: ImageMode;
  /** Show each story's score breakdown (the web view). @defaultValue false */
  explain?: boolean;
}

/** Everything between the top of the card and its footer. */
export function ReportContent({ model, greeting, omitted, images = 'cid', explain = false }: ContentProps) {
  const opts = { timezone: model.timezone, explain };
  return (
    <>
      <Masthead model={model} />
      <Section style={styles.block}>
        {greeting ? (
          <p style={{ margin: '16px 0 0', fontSize: '14px', lineHeight: '22px', color: COLORS.body }}>{greeting}</p>
        ) : null}
        <MoodBar model={model} images={images} />
        {model.top.length > 0 ? (
          <StoryList label="今日要闻" count={model.top.length}>
            {model.top.map((e) => (
              <TopEntry key={e.articleId} entry={e} opts={opts} />
            ))}
          </StoryList>
        ) : null}
        {orderedSections(model).map((s) => (
          <StoryList key={s.category} label={s.label} count={s.items.length}>
            {s.items.map((e) => (
              <SectionEntry key={e.articleId} entry={e} opts={opts} />
            ))}
          </StoryList>
        ))}
        {omitted > 0 ? <p style={styles.notice}>{omittedLine(omitted)}</p> : null}
      </Section>
    </>
  );
}
