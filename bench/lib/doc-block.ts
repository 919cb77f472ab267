/** Benchmarks write their numbers into the docs between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Replaces the block NAME of a Markdown file (appending it when missing); the rest of the file is kept. */
export function updateDocBlock(file: string, name: string, markdown: string): void {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  const next =
    a >= 0 && b > a ? `${doc.slice(0, a)}${block}${doc.slice(b + end.length)}` : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
