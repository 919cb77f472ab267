/**
 * HTML → plain text for feed summaries and article bodies: block elements become paragraphs separated by a
 * blank line, whitespace inside a paragraph is collapsed, scripts and widgets are dropped.
 */
import { parseHTML } from 'linkedom';

const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'center', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr',
  'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'thead', 'tfoot', 'tr', 'ul',
]);
const SKIP = new Set([
  'script', 'style', 'noscript', 'template', 'iframe', 'svg', 'canvas', 'object', 'embed', 'select', 'button',
  'input', 'textarea', 'head', 'video', 'audio',
]);
const TEXT_NODE = 3;
const ELEMENT_NODE = 1;

/** Collapses runs of whitespace (including NBSP and the ideographic space) to one space and trims. */
export function collapseWhitespace(s: string): string {
  return s.replace(/[\s\u00a0\u3000\u200b\ufeff]+/g, ' ').trim();
}

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
  const full = /<html[\s>]/i.test(html) ? html : `<!doctype html><html><head></head><body>${html}</body></html>`;
  return parseHTML(full).document as unknown as Document;
}

/**
 * Converts HTML (a fragment or a whole page) to plain text, paragraphs joined by a blank line.
 *
 * @example htmlToText('<p>沪指收涨</p><p>成交额放大</p>') // '沪指收涨\n\n成交额放大'
 */
export function htmlToText(html: string | null | undefined): string {
  if (!html) return '';
  // Plain text with no markup at all: keep its line structure.
  if (!/[<&]/.test(html)) return html.split(/\n\s*\n/).map(collapseWhitespace).filter(Boolean).join('\n\n');
  const doc = parseHtmlDocument(html);
  return nodeToParagraphs(doc.body ?? doc.documentElement).join('\n\n');
}
