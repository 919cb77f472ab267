import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { decodeBody } from '../collect/charset.ts';
import { createContext } from './context.ts';
import { CliError } from './errors.ts';

/** Larger decompressed pages are refused (a gzip bomb must not exhaust memory). */
const MAX_HTML_BYTES = 50 * 1024 * 1024;

/** The file name without `.html`, `.htm` and `.gz`: the key of the JSON output. */
export function pageName(file: string): string {
  return path
    .basename(file)
    .replace(/\.gz$/i, '')
    .replace(/\.html?$/i, '');
}

/** Reads a saved page: gunzips `.gz` (refusing more than 50 MB once decompressed) and decodes any charset. */
export function readPage(file: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new CliError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (/\.gz$/i.test(file)) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: MAX_HTML_BYTES });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CliError(
        `${file}: ${e.code === 'ERR_BUFFER_TOO_LARGE' ? `more than ${MAX_HTML_BYTES} bytes once decompressed` : `not valid gzip (${e.message})`}`,
      );
    }
  } else if (buf.length > MAX_HTML_BYTES) {
    throw new CliError(`${file}: larger than ${MAX_HTML_BYTES} bytes`);
  }
  return decodeBody(buf);
}

/** `finrep extract-text [--json] FILE...`: the main text of saved pages (DESIGN §6). */
export function registerExtractText(program: Command): void {
  program
    .command('extract-text')
    .description('extract the main text of saved HTML pages (.html or .html.gz, any charset)')
    .argument('<files...>', 'saved pages')
    .option('--json', 'print { "<name>": { title, articleBody, author, publishedAt } } on stdout')
    .action(async (files: string[], flags: { json?: boolean }) => {
      const ctx = await createContext({ level: 'warn', database: false });
      const { extractMainText } = await import('../collect/extract-text.ts');
      const now = new Date();
      const out: Record<
        string,
        { title: string | null; articleBody: string; author: string | null; publishedAt: string | null }
      > = {};
      const from = new Map<string, string>();
      for (const file of files) {
        const name = pageName(file);
        if (from.has(name)) throw new CliError(`${file} and ${from.get(name)} have the same name "${name}"`);
        from.set(name, file);
        const r = extractMainText(readPage(file), `file://${path.resolve(file)}`, {
          timeZone: ctx.config.timeZone,
          now,
        });
        out[name] = {
          title: r.title,
          articleBody: r.articleBody,
          author: r.author,
          publishedAt: r.publishedAt?.toISOString() ?? null,
        };
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      for (const [name, r] of Object.entries(out)) {
        const meta = [r.author, r.publishedAt].filter(Boolean).join(' · ');
        process.stdout.write(
          `== ${name}\n${r.title ?? '(no title)'}\n${meta ? `${meta}\n` : ''}\n${r.articleBody || '(no article text found)'}\n\n`,
        );
      }
    });
}
