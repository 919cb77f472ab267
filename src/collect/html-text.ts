/**
 * HTML → plain text for feed summaries and article bodies: block elements become paragraphs separated by a
 * blank line, whitespace inside a paragraph is collapsed, scripts and widgets are dropped.
 */
import { Parser } from 'htmlparser2';
import { parseHTML } from 'linkedom';

const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'center',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'ul',
]);
const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'svg',
  'canvas',
  'object',
  'embed',
  'select',
  'button',
  'input',
  'textarea',
  'head',
  'video',
  'audio',
]);
const TEXT_NODE = 3;
const ELEMENT_NODE = 1;

/** Collapses runs of whitespace (including NBSP and the ideographic space) to one space and trims. */
export function collapseWhitespace(s: string): string {
  // Most strings reaching here are collapsed already (paragraphs are re-checked line by line): no copy.
  if (!NOT_COLLAPSED.test(s)) return s;
  return s.replace(/[\s\u00a0\u3000\u200b\ufeff]+/g, ' ').trim();
}

/** Whitespace other than a single inner space: a character to replace, two spaces, or a space at either end. */
const NOT_COLLAPSED = /[^\S ]|\u200b| {2}|^ | $/;

/** The paragraphs of a DOM subtree, in document order. */
export function nodeToParagraphs(root: Node): string[] {
  const out: string[] = [];
  let line = '';
  const flush = () => {
    const t = collapseWhitespace(line);
    if (t) out.push(t);
    line = '';
  };
  const walk = (node: Node) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === TEXT_NODE) {
        line += child.nodeValue ?? '';
      } else if (child.nodeType === ELEMENT_NODE) {
        const tag = (child as Element).localName.toLowerCase();
        if (SKIP.has(tag)) continue;
        if (tag === 'br') {
          flush();
          continue;
        }
        const block = BLOCK.has(tag);
        if (block) flush();
        walk(child);
        if (block) flush();
        else if (tag === 'td' || tag === 'th') line += ' ';
      }
    }
  };
  walk(root);
  flush();
  return out;
}

/** Parses an HTML fragment or document into a linkedom document (typed as the standard DOM). */
export function parseHtmlDocument(html: string): Document {
  return parseHTML(asDocument(html)).document as unknown as Document;
}

const WHOLE_DOCUMENT = /<html[\s>]/i;

function asDocument(html: string): string {
  return WHOLE_DOCUMENT.test(html) ? html : `<!doctype html><html><head></head><body>${html}</body></html>`;
}

/**
 * Converts HTML (a fragment or a whole page) to plain text, paragraphs joined by a blank line.
 *
 * @example htmlToText('<p>沪指收涨</p><p>成交额放大</p>') // '沪指收涨\n\n成交额放大'
 */
export function htmlToText(html: string | null | undefined): string {
  if (!html) return '';
  // Plain text with no markup at all: keep its line structure.
  if (!/[<&]/.test(html))
    return html
      .split(/\n\s*\n/)
      .map(collapseWhitespace)
      .filter(Boolean)
      .join('\n\n');
  if (WHOLE_DOCUMENT.test(html)) {
    const doc = parseHtmlDocument(html);
    return nodeToParagraphs(doc.body ?? doc.documentElement).join('\n\n');
  }
  return fragmentParagraphs(html).join('\n\n');
}

/**
 * `nodeToParagraphs` of a fragment's body without building a DOM: the same htmlparser2 events linkedom
 * builds its tree from (same document, same options), walked as they stream by. Feeds carry an HTML
 * fragment per item, and a linkedom document each was most of the time spent parsing a feed.
 */
function fragmentParagraphs(html: string): string[] {
  const out: string[] = [];
  let line = '';
  const flush = () => {
    const t = collapseWhitespace(line);
    if (t) out.push(t);
    line = '';
  };
  // Open elements; the wrapper's <body> is the second element opened at depth 2 (after <head>), and only
  // what happens while it is open is its subtree.
  let depth = 0;
  let depth2Opened = 0;
  let inBody = false;
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        depth++;
        if (depth === 2 && ++depth2Opened === 2) {
          inBody = true;
          return;
        }
        if (!inBody) return;
        if (skipping > 0 || SKIP.has(name)) skipping++;
        else if (name === 'br') {
          flush();
          skipping = 1; // the walk does not enter a <br> (it has children only in foreign content)
        } else if (BLOCK.has(name)) flush();
      },
      onclosetag(name) {
        depth--;
        if (!inBody) return;
        if (depth === 1) {
          inBody = false;
          return;
        }
        if (skipping > 0) skipping--;
        else if (BLOCK.has(name)) flush();
        else if (name === 'td' || name === 'th') line += ' ';
      },
      ontext(text) {
        if (inBody && skipping === 0) line += text;
      },
    },
    { lowerCaseAttributeNames: false, decodeEntities: true, xmlMode: false },
  );
  parser.write(asDocument(html));
  parser.end();
  flush();
  return out;
}
