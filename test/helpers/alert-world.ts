/**
 * What the alert tests share: a two-story feed (one story names 贵州茅台, the other is the weather) and the
 * clock their runs use, kept away from the edition's cut-off and local midnight.
 */
export const TZ = 'Asia/Shanghai';
export const MOUTAI = '贵州茅台三季度净利润同比增长15%，白酒龙头业绩超预期';
export const WEATHER = '气象台发布天气预报：明日本市多云转晴，气温回升';

/** The feed at `now`: both stories, published a minute before. */
export function feed(now: Date): string {
  const item = (title: string, n: number) =>
    `<item><title>${title}</title><link>http://news.test/a/${n}</link><guid>a-${n}</guid>` +
    `<pubDate>${new Date(now.getTime() - 60_000).toUTCString()}</pubDate>` +
    `<description>${title}。公司公告显示，相关数据于今日公布，市场人士认为影响积极。</description></item>`;
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>测试快讯</title><link>http://news.test/</link>${item(MOUTAI, 1)}${item(WEATHER, 2)}</channel></rss>`;
}

/**
 * How far to move the clock on from `at` so that no date changes under a test: at least 30 minutes after
 * 22:00 UTC (06:00 in Shanghai, the edition's cut-off) and 5 minutes after 16:00 UTC (midnight in Shanghai,
 * the alerts' day for the daily cap), and not just before either; 0 anywhere else. Across the cut-off the next
 * edition's date changes: a feed item published a minute before it belongs to the previous edition's window,
 * the alert run (for the next edition) does not extract it, and no rule fires. Forward, never back: a rule
 * made now must not be newer than the stories collected on this clock.
 */
export function clockAwayFromDateChanges(at: Date): number {
  let shift = 0;
  for (const { hour, before, after } of [
    { hour: 22, before: 30, after: 30 },
    { hour: 16, before: 5, after: 5 },
  ]) {
    const day = 1440;
    const since = ((((at.getTime() + shift - Date.UTC(2000, 0, 1, hour)) / 60_000) % day) + day) % day;
    if (since >= day - before) shift += (day - since + after) * 60_000;
    else if (since < after) shift += (after - since) * 60_000;
  }
  return shift;
}

const realStart = Date.now();
/** `FINREP_TEST_CLOCK_AT` (an ISO time later than now) starts the clock there: to try the tests at an hour. */
const start = process.env.FINREP_TEST_CLOCK_AT ? Date.parse(process.env.FINREP_TEST_CLOCK_AT) : realStart;
const SHIFT_MS = start - realStart + clockAwayFromDateChanges(new Date(start));

/** The clock of the alert tests' runs: the real one (or `FINREP_TEST_CLOCK_AT`'s), away from date changes. */
export const clock = (): Date => new Date(Date.now() + SHIFT_MS);
