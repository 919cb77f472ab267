/**
 * Digests for the channel tests and the payload examples of docs/channels.md: a small edition, a long one
 * (split), one story far too long (trimmed), hostile third-party text (escaped), an alert.
 */
import type { ChannelDigest, DigestItem } from '../../src/channels/types.ts';

/** One story; `over` replaces any field. */
export function story(over: Partial<DigestItem> = {}): DigestItem {
  return {
    title: '央行下调存款准备金率0.5个百分点',
    url: 'https://news.example.cn/2026/12/05/rrr-cut.html',
    source: '新华财经',
    summary: '中国人民银行宣布自12月15日起下调金融机构存款准备金率0.5个百分点，预计释放长期资金约1万亿元。',
    sentiment: 'positive',
    sentimentScore: 0.6,
    importance: 92,
    tickers: ['601398.SH', '600036.SH'],
    category: '宏观',
    ...over,
  };
}

/** A small edition: three stories, one of them already pushed by an alert. */
export function smallEdition(): ChannelDigest {
  return {
    kind: 'edition',
    title: '金融情报日报 2026-12-05',
    edition: '2026-12-05',
    webViewUrl: 'https://finrep.example.com/reports/2026-12-05',
    counts: { sources: 42, articles: 1380, stories: 96 },
    mood: { positive: 31, neutral: 48, negative: 17 },
    items: [
      story(),
      story({
        title: '宁德时代发布新一代钠离子电池，量产时间提前至明年二季度',
        url: 'https://news.example.cn/catl-sodium',
        source: '证券时报',
        summary: '公司称新电池能量密度达到175Wh/kg，成本较磷酸铁锂低约三成。',
        sentimentScore: 0.5,
        importance: 81,
        tickers: ['300750.SZ'],
        category: '公司',
        alerted: true,
      }),
      story({
        title: '美国11月非农就业人数低于预期',
        url: 'https://news.example.com/us-nfp-nov',
        source: 'Reuters',
        summary: 'Nonfarm payrolls rose 95,000 in November, below the 150,000 economists expected.',
        sentiment: 'negative',
        sentimentScore: -0.4,
        importance: 77,
        tickers: [],
        category: '海外',
      }),
    ],
  };
}

/** A long edition: `n` stories with long summaries (several parts on every chat platform). */
export function longEdition(n = 40): ChannelDigest {
  const base = smallEdition();
  const items = Array.from({ length: n }, (_, i) =>
    story({
      title: `第${i + 1}条：上市公司公告与行业动态汇总 story-${i + 1}`,
      url: `https://news.example.cn/long/${i + 1}`,
      summary: `摘要${i + 1}：${'这是一段较长的新闻摘要，用于测试消息拆分。'.repeat(12)}`,
      sentiment: i % 3 === 0 ? 'negative' : i % 3 === 1 ? 'neutral' : 'positive',
      importance: 90 - i,
    }),
  );
  return { ...base, items };
}

/** One story whose summary alone is far over every platform's limit. */
export function hugeStory(): ChannelDigest {
  return { ...smallEdition(), items: [story({ title: 'huge-story', summary: '超长摘要'.repeat(20_000) })] };
}

/** Third-party text that tries markdown, HTML, mentions and a script URL. */
export const HOSTILE_TITLE =
  '**BUY NOW** [点击领取](https://evil.example/phish) <at id=all></at> <@all> <b>x</b> <script>alert(1)</script> & <!channel> _x_ `x` # h';

/** A digest made of hostile text, a non-http link included. */
export function hostileEdition(): ChannelDigest {
  return {
    ...smallEdition(),
    title: `日报 ${HOSTILE_TITLE}`,
    items: [
      story({
        title: HOSTILE_TITLE,
        url: 'javascript:alert(1)',
        source: '<b>src</b> [s](https://evil.example/s)',
        summary: `line1\n# heading\n> quote\n${HOSTILE_TITLE}`,
        tickers: ['<@U123>', '**T**'],
        category: '<font color="red">x</font>',
      }),
      story({ title: 'A link with (parens) and "quotes"', url: 'https://news.example.cn/a_(b)?q="x"&y=<z>' }),
    ],
  };
}

/** An intraday alert: one story and the rule that matched it. */
export function alertDigest(): ChannelDigest {
  return {
    kind: 'alert',
    title: '[预警] 宁德时代 · 宁德时代发布新一代钠离子电池',
    edition: null,
    webViewUrl: 'https://finrep.example.com/stories/8812',
    items: [
      story({
        title: '宁德时代发布新一代钠离子电池，量产时间提前至明年二季度',
        url: 'https://news.example.cn/catl-sodium',
        source: '证券时报',
        summary: '公司称新电池能量密度达到175Wh/kg，成本较磷酸铁锂低约三成。',
        sentimentScore: 0.5,
        tickers: ['300750.SZ'],
        category: '公司',
        importance: 81,
      }),
    ],
    rule: { name: '宁德时代', hits: ['300750.SZ', '钠离子'] },
  };
}

/** An operational alert (src/ops/ops-alerts.ts): a source failing, its last error quoted. */
export function opsDigest(): ChannelDigest {
  return {
    kind: 'ops',
    title: '[运维告警] 信源「证券时报快讯」已持续失败超过 24 小时',
    edition: null,
    webViewUrl: 'https://finrep.example.com/sources/7',
    items: [],
    ops: {
      severity: 'warning',
      lines: ['连续失败 12 次；上次成功：2026-12-04 18:05', '最近错误：HTTP 503 Service Unavailable'],
    },
  };
}

/** An operational alert whose source name and error are hostile third-party text. */
export function hostileOps(): ChannelDigest {
  const evil = HOSTILE_TITLE;
  return {
    kind: 'ops',
    title: `[运维告警] 信源「${evil}」已持续失败超过 24 小时`,
    edition: null,
    webViewUrl: 'javascript:alert(1)',
    items: [],
    ops: { severity: 'critical', lines: [`最近错误：${evil}`, evil.repeat(40), 'x\n# heading\n> quote'] },
  };
}
