import { describe, expect, it } from 'vitest';
import { canonicalUrl, urlHash } from './canonical-url.ts';

const CASES = [
  {
    name: 'lower-cases scheme and host, keeps path case',
    url: 'HTTPS://Finance.Example.COM/News/A.html',
    expected: 'https://finance.example.com/News/A.html',
  },
  { name: 'drops the default port', url: 'http://example.com:80/a', expected: 'http://example.com/a' },
  { name: 'drops the default https port', url: 'https://example.com:443/a', expected: 'https://example.com/a' },
  { name: 'keeps a non-default port', url: 'http://example.com:8080/a', expected: 'http://example.com:8080/a' },
  { name: 'drops the fragment', url: 'https://example.com/a#comments', expected: 'https://example.com/a' },
  {
    name: 'keeps a hash-bang route',
    url: 'https://m.example.com/#!/news/123',
    expected: 'https://m.example.com/#!/news/123',
  },
  {
    name: 'keeps a hash route',
    url: 'https://m.example.com/#/detail?id=9',
    expected: 'https://m.example.com/#/detail?id=9',
  },
  { name: 'keeps www (hosts are not merged)', url: 'https://www.example.com/a', expected: 'https://www.example.com/a' },
  {
    name: 'removes utm_* and sorts the rest',
    url: 'https://example.com/a?utm_source=wx&b=2&utm_medium=share&a=1',
    expected: 'https://example.com/a?a=1&b=2',
  },
  {
    name: 'removes spm, from, share*, fbclid, gclid',
    url: 'https://example.com/a?id=42&spm=a.b.c&from=timeline&shareId=9&share_token=x&fbclid=1&gclid=2',
    expected: 'https://example.com/a?id=42',
  },
  {
    name: 'removes mc_cid, mc_eid, ref',
    url: 'https://example.com/a?mc_cid=1&mc_eid=2&ref=home&p=3',
    expected: 'https://example.com/a?p=3',
  },
  {
    name: 'keeps content identifiers id, aid, p',
    url: 'https://example.com/show.php?p=7&aid=5&id=3',
    expected: 'https://example.com/show.php?aid=5&id=3&p=7',
  },
  {
    name: 'keeps source (it can identify content)',
    url: 'https://example.com/a?source=xinhua',
    expected: 'https://example.com/a?source=xinhua',
  },
  { name: 'removes an empty query', url: 'https://example.com/a?', expected: 'https://example.com/a' },
  {
    name: 'removes a query made only of tracking',
    url: 'https://example.com/a?utm_campaign=x',
    expected: 'https://example.com/a',
  },
  {
    name: 'keeps repeated parameters in order',
    url: 'https://example.com/a?tag=2&tag=1',
    expected: 'https://example.com/a?tag=2&tag=1',
  },
  {
    name: 'keeps the original encoding of values',
    url: 'https://example.com/s?q=%E5%A4%AE%E8%A1%8C+%E9%99%8D%E5%87%86',
    expected: 'https://example.com/s?q=%E5%A4%AE%E8%A1%8C+%E9%99%8D%E5%87%86',
  },
  {
    name: 'WeChat: keeps __biz/mid/idx/sn, drops chksm/scene',
    url: 'https://mp.weixin.qq.com/s?__biz=MzA&mid=265&idx=1&sn=abc&chksm=ff&scene=21#wechat_redirect',
    expected: 'https://mp.weixin.qq.com/s?__biz=MzA&idx=1&mid=265&sn=abc',
  },
  {
    name: 'scene is only noise on WeChat',
    url: 'https://example.com/a?scene=2',
    expected: 'https://example.com/a?scene=2',
  },
  { name: 'adds the root path', url: 'https://example.com', expected: 'https://example.com/' },
  { name: 'drops credentials', url: 'https://user:pw@example.com/a', expected: 'https://example.com/a' },
  { name: 'trims whitespace', url: '  https://example.com/a  ', expected: 'https://example.com/a' },
  { name: 'leaves a non-URL alone', url: 'not a url', expected: 'not a url' },
];

describe('canonicalUrl', () => {
  it.each(CASES)('$name', ({ url, expected }) => {
    expect(canonicalUrl(url)).toBe(expected);
  });

  it.each(CASES)('is idempotent: $name', ({ url }) => {
    const once = canonicalUrl(url);
    expect(canonicalUrl(once)).toBe(once);
  });

  it('is idempotent and order-insensitive on generated URLs', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const names = ['id', 'aid', 'p', 'utm_source', 'spm', 'from', 'page', 'shareId', 'ref', 'q', 'Tag'];
    const values = ['1', 'x', '%E4%B8%AD', 'a+b', '', 'a=b'];
    for (let i = 0; i < 500; i++) {
      const pairs = Array.from(
        { length: Math.floor(rand() * 6) },
        () => `${names[Math.floor(rand() * names.length)]}=${values[Math.floor(rand() * values.length)]}`,
      );
      const host = rand() < 0.5 ? 'Example.com' : 'www.example.com:443';
      const url = `HTTPS://${host}/path/${i}?${pairs.join('&')}${rand() < 0.3 ? '#frag' : ''}`;
      const c = canonicalUrl(url);
      expect(canonicalUrl(c)).toBe(c);
      const shuffled = `https://${host}/path/${i}?${[...pairs].reverse().join('&')}`;
      // Same names in another order give the same key unless a name repeats (its values' order matters).
      const distinctNames = new Set(pairs.map((p) => p.split('=')[0])).size === pairs.length;
      if (distinctNames) expect(canonicalUrl(shuffled)).toBe(c);
    }
  });
});

describe('urlHash', () => {
  it('is 32 hex digits and equal for URLs with the same canonical form', () => {
    const h = urlHash('https://example.com/a?b=2&a=1&utm_source=x');
    expect(h).toMatch(/^[0-9a-f]{32}$/);
    expect(urlHash('HTTPS://EXAMPLE.com:443/a?a=1&b=2#top')).toBe(h);
    expect(urlHash('https://example.com/a?a=1&b=3')).not.toBe(h);
  });
});
