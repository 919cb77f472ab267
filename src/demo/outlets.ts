/**
 * The demo world's outlets: display names, where each one's feed or list page and article pages live,
 * and which charset it serves. Paths are relative to the world's base URL.
 */
import type { SourceKey } from './articles/types.ts';

/** Static facts about one demo outlet. */
export interface Outlet {
  name: string;
  /** Feed or list page path. */
  entry: string;
  charset: 'utf-8' | 'gbk';
  /** One-line description used in feed headers and page titles. */
  tagline: string;
}

/** Every demo outlet by source key. */
export const OUTLETS: Record<SourceKey, Outlet> = {
  'feed-macro': {
    name: '华夏财经快讯',
    entry: '/feeds/macro.xml',
    charset: 'utf-8',
    tagline: '宏观经济数据与央行动态第一时间速递',
  },
  'feed-markets': {
    name: '东方证券报·市场',
    entry: '/feeds/markets.atom',
    charset: 'utf-8',
    tagline: 'A股、债市与资金面实时追踪',
  },
  'feed-gbk': { name: '金融街资讯', entry: '/feeds/gbk.xml', charset: 'gbk', tagline: '财经要闻 市场热点 公司动态' },
  'feed-relative': {
    name: '中经快报',
    entry: '/feeds/relative.xml',
    charset: 'utf-8',
    tagline: '权威财经新闻 每日早间汇编',
  },
  'feed-global': {
    name: '环球市场观察',
    entry: '/feeds/global.xml',
    charset: 'utf-8',
    tagline: '全球股债汇商品市场隔夜回顾',
  },
  'feed-companies': {
    name: '上市公司公告速递',
    entry: '/feeds/companies.xml',
    charset: 'utf-8',
    tagline: '业绩、回购、增减持及重大事项公告解读',
  },
  'site-policy': {
    name: '金融政策观察网',
    entry: '/sites/policy/index.html',
    charset: 'utf-8',
    tagline: '货币政策 金融监管 政策解读',
  },
  'site-industry': {
    name: '产经要闻网',
    entry: '/sites/industry/index.html',
    charset: 'gbk',
    tagline: '产业经济 行业动态 深度观察',
  },
  'site-dynamic': {
    name: '财讯电报',
    entry: '/sites/dynamic/index.html',
    charset: 'utf-8',
    tagline: '7×24小时财经电报',
  },
};

const PAGE_DIRS: Record<SourceKey, string> = {
  'feed-macro': '/macro/a',
  'feed-markets': '/markets/a',
  'feed-gbk': '/gbk/a',
  'feed-relative': '/news',
  'feed-global': '/global/a',
  'feed-companies': '/companies/a',
  'site-policy': '/sites/policy/a',
  'site-industry': '/sites/industry/a',
  'site-dynamic': '/sites/dynamic/a',
};

/** Path of an article page; `feed-relative` files pages by year like many Chinese news sites. */
export function articlePath(outlet: SourceKey, slug: string, year: number): string {
  if (outlet === 'feed-relative') return `${PAGE_DIRS[outlet]}/${year}/${slug}.html`;
  return `${PAGE_DIRS[outlet]}/${slug}.html`;
}
