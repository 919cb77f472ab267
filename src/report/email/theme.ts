/**
 * The email's palette and shared inline styles. Every block sets its own background and text colour, so
 * clients that force a dark theme (Gmail app, Outlook.com) invert a known pair instead of guessing, and
 * nothing is white-on-transparent. The font stack is set once on the card and inherited (Outlook gets
 * its own rule in a conditional comment).
 */
import type { CSSProperties } from 'react';

/** Chinese-first font stack: Apple, then Windows, then Linux/Android. */
export const FONT_STACK =
  "-apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif";

/** The layout's maximum width in pixels (fluid below it). */
export const MAX_WIDTH = 600;

export const COLORS = {
  page: '#eef1f5',
  card: '#ffffff',
  ink: '#1d2939',
  body: '#344054',
  muted: '#667085',
  rule: '#e4e7ec',
  link: '#0b4f9c',
  brand: '#0f2a4a',
  brandInk: '#ffffff',
  brandMuted: '#b9c7d8',
  accent: '#c8102e',
  chipBg: '#f2f4f7',
  footerBg: '#f8f9fb',
  noticeBg: '#fff8e6',
  noticeInk: '#7a4b00',
} as const;

export const styles = {
  body: { backgroundColor: COLORS.page, margin: 0, padding: '16px 8px', fontFamily: FONT_STACK, color: COLORS.ink },
  container: {
    width: '100%',
    maxWidth: `${MAX_WIDTH}px`,
    backgroundColor: COLORS.card,
    color: COLORS.ink,
    fontFamily: FONT_STACK,
    borderRadius: '6px',
    overflow: 'hidden',
  },
  header: { backgroundColor: COLORS.brand, color: COLORS.brandInk, padding: '24px 24px 20px' },
  block: { backgroundColor: COLORS.card, color: COLORS.ink, padding: '4px 24px 16px' },
  sectionTitle: {
    margin: '24px 0 0',
    padding: '0 0 0 10px',
    borderLeft: `4px solid ${COLORS.accent}`,
    fontSize: '18px',
    lineHeight: '24px',
    fontWeight: 700,
    color: COLORS.ink,
  },
  sectionCount: { fontSize: '13px', fontWeight: 400, color: COLORS.muted },
  title: { margin: '0 0 4px', fontSize: '16px', lineHeight: '24px', fontWeight: 600, color: COLORS.ink },
  link: { color: COLORS.link, textDecoration: 'none' },
  meta: { margin: '0 0 6px', fontSize: '12px', lineHeight: '20px', color: COLORS.muted },
  summary: { margin: 0, fontSize: '14px', lineHeight: '22px', color: COLORS.body },
  tickers: { margin: '6px 0 0', fontSize: '12px', lineHeight: '20px' },
  ticker: {
    padding: '1px 6px',
    marginRight: '4px',
    borderRadius: '3px',
    backgroundColor: COLORS.chipBg,
    color: COLORS.body,
    fontFamily: 'Menlo, Consolas, monospace',
  },
  nowrap: { whiteSpace: 'nowrap' },
  tag: { padding: '1px 6px', borderRadius: '3px', fontWeight: 600 },
  watchTag: {
    padding: '1px 6px',
    borderRadius: '3px',
    fontWeight: 600,
    color: COLORS.noticeInk,
    backgroundColor: COLORS.noticeBg,
  },
  alertTag: {
    padding: '1px 6px',
    borderRadius: '3px',
    fontWeight: 600,
    color: '#ffffff',
    backgroundColor: '#b45309',
  },
  explain: { margin: '6px 0 0', fontSize: '12px', lineHeight: '18px', color: COLORS.muted },
  notice: {
    margin: '16px 0 0',
    padding: '10px 12px',
    backgroundColor: COLORS.noticeBg,
    color: COLORS.noticeInk,
    fontSize: '13px',
    lineHeight: '20px',
    borderRadius: '4px',
  },
  footer: {
    backgroundColor: COLORS.footerBg,
    color: COLORS.muted,
    padding: '16px 24px 20px',
    borderTop: `1px solid ${COLORS.rule}`,
  },
  small: { margin: '0 0 6px', fontSize: '12px', lineHeight: '20px', color: COLORS.muted },
} satisfies Record<string, CSSProperties>;
