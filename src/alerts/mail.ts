/**
 * The short alert mail: the story's title, source, summary, sentiment, tickers and link, and why the rule
 * fired. Every third-party string is escaped (the HTML part) or plain (the text part).
 */
import { domainToASCII } from 'node:url';
import type { AlertRuleRow, AlertStory } from '../db/queries/alerts.ts';
import type { MailAddress, MailMessage } from '../deliver/mailer.ts';
import { newMessageId } from '../deliver/message.ts';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const SENTIMENT: Record<string, string> = { positive: '利好', neutral: '中性', negative: '利空' };

/** Only http(s) links are linked; anything else is shown as text. */
const safeUrl = (u: string): string | null => (/^https?:\/\//i.test(u) ? u : null);

export interface AlertMailInput {
  rule: Pick<AlertRuleRow, 'name'>;
  story: AlertStory;
  hits: string[];
  to: { address: string; name: string | null };
  from: { address: string; name: string };
  now: Date;
}

/** One recipient's alert message. */
export function alertMail(input: AlertMailInput): MailMessage {
  const { rule, story, hits } = input;
  const e = story.extraction;
  const tickers = e.entities.companies.flatMap((c) => (c.ticker ? [c.ticker] : []));
  const subject = `[预警] ${rule.name} · ${story.title}`.replace(/[\r\n]+/g, ' ').slice(0, 200);
  const why = hits.length > 0 ? hits.join('、') : `重要性 ≥ ${e.importance}`;
  const lines = [
    story.title,
    `${story.sourceName} · ${SENTIMENT[e.sentiment] ?? e.sentiment} · 重要性 ${e.importance}/5`,
    tickers.length > 0 ? `代码：${tickers.join(' ')}` : '',
    '',
    e.summary,
    '',
    story.url,
    '',
    `规则「${rule.name}」命中：${why}`,
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '');
  const url = safeUrl(story.url);
  const title = url ? `<a href="${esc(url)}">${esc(story.title)}</a>` : esc(story.title);
  const html = [
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>',
    esc(subject),
    '</title></head><body style="font-family:sans-serif;line-height:1.5">',
    `<p style="margin:0 0 4px;color:#b45309;font-weight:bold">[预警] ${esc(rule.name)}</p>`,
    `<h1 style="font-size:18px;margin:0 0 8px">${title}</h1>`,
    `<p style="margin:0 0 8px;color:#555">${esc(story.sourceName)} · ${esc(SENTIMENT[e.sentiment] ?? e.sentiment)}`,
    ` · 重要性 ${e.importance}/5${tickers.length ? ` · ${esc(tickers.join(' '))}` : ''}</p>`,
    `<p style="margin:0 0 8px">${esc(e.summary)}</p>`,
    `<p style="margin:0;color:#555;font-size:13px">规则「${esc(rule.name)}」命中：${esc(why)}</p>`,
    '</body></html>',
  ].join('');
  const to: MailAddress = { address: input.to.address, name: input.to.name };
  const domain = domainToASCII(input.from.address.split('@')[1] ?? 'localhost') || 'localhost';
  return {
    to,
    from: input.from,
    subject,
    html,
    text: `${lines.join('\n')}\n`,
    attachments: [],
    headers: { 'X-Finrep-Alert': encodeURIComponent(rule.name), 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
    messageId: newMessageId(`alert-${story.storyId}`, domain),
    date: input.now,
  };
}
