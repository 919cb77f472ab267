import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseFeed } from '@rowanmanning/feed-parser';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../../test/helpers/corpora.ts';
import { decodeBody } from './charset.ts';
import { collapseWhitespace, htmlToText, nodeToParagraphs, parseHtmlDocument } from './html-text.ts';

/** What `htmlToText` computed before it streamed fragments: a linkedom document, walked. */
const viaDom = (html: string) => {
  const doc = parseHtmlDocument(html);
  return nodeToParagraphs(doc.body ?? doc.documentElement).join('\n\n');
};

describe('htmlToText', () => {
  it.each([
    { name: 'paragraphs', html: '<p>沪指收涨</p><p>成交额放大</p>', text: '沪指收涨\n\n成交额放大' },
    {
      name: 'implicitly closed paragraphs and items',
      html: '<p>a<p>b<ul><li>1<li>2</ul>c',
      text: 'a\n\nb\n\n1\n\n2\n\nc',
    },
    { name: 'line breaks, stray closing tags', html: '<div>a<br>b</div>c</br>d</p>e', text: 'a\n\nb\n\nc\n\nd\n\ne' },
    { name: 'table cells', html: '<table><tr><td>1</td><TD>2</TD><th>3</th></tr></table>x', text: '1 2 3\n\nx' },
    {
      name: 'entities',
      html: 'a &amp; b &lt;c&gt;&nbsp;d &#20013;&#x6587; &bogus; &amp',
      text: 'a & b <c> d 中文 &bogus; &',
    },
    {
      name: 'skipped elements',
      html: '<script>x()</script><style>p{}</style><noscript><p>n</p></noscript><template><p>t</p></template><textarea><p>a</p></textarea><svg><text>s</text></svg>y',
      text: 'y',
    },
    { name: 'comments and CDATA', html: '<!-- c --><![CDATA[x]]>z', text: 'z' },
    { name: 'unclosed inline', html: '<p>unclosed <b>bold', text: 'unclosed bold' },
    { name: 'a body closed early', html: 'in</body>out<p>more</p>', text: 'in' },
    {
      name: 'a nested body and head',
      html: '<body>inner</body>tail<head><title>t</title></head>x',
      text: 'innertailx',
    },
    { name: 'a document end inside', html: '<p>a</p></html><p>b</p>', text: 'a' },
    { name: 'foreign content', html: '<math><mi>x</mi><br>z</br></math>w', text: 'x\n\nz\n\nw' },
    { name: 'pre keeps no blank lines', html: '<pre>a\n\nb</pre>', text: 'a b' },
    {
      name: 'a whole page',
      html: '<html><head><title>t</title></head><body><p>x</p><script>y</script></body></html>',
      text: 'x',
    },
  ])('$name, as the DOM walk reads it', ({ html, text }) => {
    expect(viaDom(html)).toBe(text);
    expect(htmlToText(html)).toBe(text);
  });

  it('keeps the line structure of plain text', () => {
    expect(htmlToText('one\n\n two  lines\nstill two')).toBe('one\n\ntwo lines still two');
  });

  const CORPUS = corpusDir('feeds');
  it.skipIf(!existsSync(CORPUS))('gives what the DOM walk gives on every item of the feed corpus', () => {
    const fragments: string[] = [];
    for (const kind of ['real-world', 'examples']) {
      for (const file of readdirSync(path.join(CORPUS, 'expected', kind))) {
        const xml = decodeBody(
          readFileSync(path.join(CORPUS, 'content', kind, file.replace(/\.json$/, ''), 'feed.xml')),
          'application/xml',
        );
        try {
          for (const item of parseFeed(xml).items)
            fragments.push(...[item.description, item.content].filter((h): h is string => Boolean(h)));
        } catch {
          // not a feed: the corpus test covers it
        }
      }
    }
    expect(fragments.length).toBeGreaterThan(1000);
    const differing = fragments.filter((h) => htmlToText(h) !== viaDom(h));
    expect(differing).toEqual([]);
  });
});

describe('collapseWhitespace', () => {
  it('equals replace-and-trim on random strings (fast path included)', () => {
    const reference = (t: string) => t.replace(/[\s\u00a0\u3000\u200b\ufeff]+/g, ' ').trim();
    const alphabet = [
      'a',
      '中',
      ' ',
      ' ',
      ' ',
      '\n',
      '\t',
      '\u00a0',
      '\u3000',
      '\u200b',
      '\ufeff',
      '\u2003',
      '\r',
      '.',
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      const t = Array.from(
        { length: Math.floor(random() * 12) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      expect(collapseWhitespace(t), JSON.stringify(t)).toBe(reference(t));
    }
  });
});
