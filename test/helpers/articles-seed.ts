/**
 * Articles, stories and facts for the console's articles pages: Chinese titles (a 降准 story carried by two
 * outlets, two 贵州茅台 stories of opposite sentiment, an older 降准 story), a story whose every text is hostile,
 * and 60 plain articles for paging.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../src/db/client.ts';
import { articles, extractions, sources, storyClusters } from '../../src/db/schema/index.ts';
import type { Category, Extraction, Sentiment } from '../../src/domain.ts';

export const HOSTILE = '<img src=x onerror=alert(1)>降准传闻<script>alert("t")</script>';
export const HOSTILE_SOURCE = '<script>alert("s")</script>来源';
export const HOSTILE_COMPANY = '<script>alert("c")</script>';
export const HOSTILE_WORD = '<b onmouseover=alert(1)>恶意</b>';

const HOUR = 3_600_000;

interface StorySpec {
  title: string;
  hoursAgo: number;
  category: Category;
  sentiment: Sentiment;
  score: number;
  keywords: string[];
  companies?: { name: string; ticker: string | null }[];
  /** Members: [source index, url, title?]; the first is the representative. */
  members: [number, string, string?][];
  summary?: string;
}

export interface SeededArticles {
  sourceIds: number[];
  /** Story ids by name. */
  stories: Record<'rrr' | 'maotaiUp' | 'maotaiDown' | 'hostile' | 'oldRrr', number>;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** Seeds the stories and 60 plain articles ("市场综述第N期") relative to `now`. */
export async function seedArticles(db: Db, now = new Date()): Promise<SeededArticles> {
  const srcRows = await db
    .insert(sources)
    .values([
      { name: '新华财经', kind: 'rss', url: 'https://xinhua.example/feed' },
      { name: '财联社', kind: 'rss', url: 'https://cls.example/feed' },
      { name: HOSTILE_SOURCE, kind: 'rss', url: 'https://bad.example/feed' },
    ])
    .returning({ id: sources.id });
  const sourceIds = srcRows.map((r) => r.id);
  let n = 0;
  const addArticle = async (
    sourceIdx: number,
    url: string,
    title: string,
    at: Date,
    clusterId: number | null,
    summary?: string,
  ) => {
    n++;
    const [row] = await db
      .insert(articles)
      .values({
        sourceId: sourceIds[sourceIdx]!,
        url,
        canonicalUrl: url,
        urlHash: hash(url),
        title,
        summary: summary ?? null,
        effectiveAt: at,
        publishedAt: at,
        contentHash: hash(`${title}${n}`),
        simhash: BigInt(n),
        band0: 0,
        band1: 0,
        band2: 0,
        band3: 0,
        clusterId,
      })
      .returning({ id: articles.id });
    return row!.id;
  };
  const addStory = async (s: StorySpec): Promise<number> => {
    const at = new Date(now.getTime() - s.hoursAgo * HOUR);
    const [c] = await db
      .insert(storyClusters)
      .values({
        title: s.title,
        size: s.members.length,
        articleCount: s.members.length,
        firstSeenAt: at,
        lastSeenAt: at,
      })
      .returning({ id: storyClusters.id });
    const ids: number[] = [];
    for (const [i, [src, url, title]] of s.members.entries())
      ids.push(await addArticle(src, url, title ?? s.title, new Date(at.getTime() + i * 60_000), c!.id, s.summary));
    const result: Extraction = {
      summary: s.summary ?? s.title,
      category: s.category,
      event_type: 'other',
      sentiment: s.sentiment,
      sentiment_score: s.score,
      importance: 3,
      entities: { companies: s.companies ?? [], people: [], institutions: [] },
      keywords: s.keywords,
      region: 'CN',
    };
    // Two extractions on the story (the representative and another member) must still count it once.
    for (const articleId of ids.slice(0, 2))
      await db.insert(extractions).values({
        articleId,
        provider: 'local',
        model: 'local',
        promptVersion: 'v1',
        contentHash: hash(s.title),
        result,
      });
    return c!.id;
  };
  const maotai = [{ name: '贵州茅台', ticker: '600519.SH' }];
  const stories = {
    rrr: await addStory({
      title: '人民银行宣布下调存款准备金率0.5个百分点',
      hoursAgo: 1,
      category: 'macro',
      sentiment: 'positive',
      score: 0.6,
      keywords: ['降准', '人民银行'],
      summary: '央行宣布全面降准，释放长期资金约1万亿元。',
      members: [
        [0, 'https://xinhua.example/a/rrr'],
        [1, 'javascript:alert(1)', '央行降准：释放长期资金约1万亿元'],
      ],
    }),
    maotaiUp: await addStory({
      title: '贵州茅台三季度净利润同比增长15%',
      hoursAgo: 48,
      category: 'company',
      sentiment: 'positive',
      score: 0.7,
      keywords: ['贵州茅台', '白酒'],
      companies: maotai,
      members: [[1, 'https://cls.example/a/maotai-q3']],
    }),
    maotaiDown: await addStory({
      title: '白酒板块承压，贵州茅台股价下跌3%',
      hoursAgo: 72,
      category: 'market',
      sentiment: 'negative',
      score: -0.5,
      keywords: ['贵州茅台', '白酒', '股价'],
      companies: maotai,
      members: [[0, 'https://xinhua.example/a/maotai-down']],
    }),
    hostile: await addStory({
      title: HOSTILE,
      hoursAgo: 5,
      category: 'policy',
      sentiment: 'negative',
      score: -0.3,
      keywords: ['降准', HOSTILE_WORD],
      companies: [{ name: HOSTILE_COMPANY, ticker: null }],
      summary: `${HOSTILE}<a href="javascript:alert(2)">x</a>`,
      members: [[2, 'https://bad.example/a/"><script>alert(3)</script>']],
    }),
    oldRrr: await addStory({
      title: '央行此前降准回顾',
      hoursAgo: 10 * 24,
      category: 'macro',
      sentiment: 'neutral',
      score: 0,
      keywords: ['降准'],
      members: [[0, 'https://xinhua.example/a/rrr-old']],
    }),
  };
  await db.insert(articles).values(
    Array.from({ length: 60 }, (_, k) => {
      const i = k + 1;
      const url = `https://xinhua.example/a/daily-${i}`;
      const at = new Date(now.getTime() - (100 + i) * HOUR);
      return {
        sourceId: sourceIds[i % 2]!,
        url,
        canonicalUrl: url,
        urlHash: hash(url),
        title: `市场综述第${i}期`,
        effectiveAt: at,
        publishedAt: at,
        contentHash: hash(url),
        simhash: BigInt(1000 + i),
        band0: 0,
        band1: 0,
        band2: 0,
        band3: 0,
      };
    }),
  );
  return { sourceIds, stories };
}
