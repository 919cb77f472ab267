import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Db } from '../db/client.ts';
import { CliError } from './errors.ts';
import { withDatabase } from './context.ts';

/** Where `--demo` points the demo sources until `finrep run --demo` re-points them at its own world. */
export const DEMO_BASE_URL = 'http://127.0.0.1:8090';

/** What one seed wrote: a line per part. */
export interface SeedReport {
  lines: string[];
}

/**
 * Loads the demo sources and recipients, and/or files (sources as YAML/JSON/OPML like `finrep sources import`,
 * recipients as the `email,name,groups` CSV of `finrep recipients import`). Idempotent: sources are matched by
 * key (else URL) and recipients by address, so a second run changes nothing.
 *
 * @example await seedDatabase(db, { demo: true, files: ['sources.yaml', 'recipients.csv'], timeZone: 'Asia/Shanghai' })
 */
export async function seedDatabase(
  db: Db,
  opts: { demo?: boolean; files?: string[]; timeZone: string; demoBaseUrl?: string },
): Promise<SeedReport> {
  const lines: string[] = [];
  if (opts.demo) lines.push(...(await seedDemoWorld(db, opts.demoBaseUrl ?? DEMO_BASE_URL, opts.timeZone)));
  for (const file of opts.files ?? []) lines.push(await seedFile(db, file));
  return { lines };
}

/** The demo world's sources (keys `demo:…`, as `finrep run --demo` seeds them) and its three recipients. */
async function seedDemoWorld(db: Db, baseUrl: string, timeZone: string): Promise<string[]> {
  const [{ recipientsQ, sourcesQ }, { DEMO_RECIPIENTS, demoSources }] = await Promise.all([
    import('../db/queries/index.ts'),
    import('../demo/seeds.ts'),
  ]);
  const seeds = demoSources(baseUrl, timeZone).map((s) => ({ ...s, key: `demo:${s.key}`, allowPrivate: true }));
  const created = await sourcesQ.upsertSources(db, seeds);
  const r = await recipientsQ.upsertRecipients(db, [...DEMO_RECIPIENTS]);
  return [
    `demo sources: ${seeds.length} (${created} new) at ${baseUrl}`,
    `demo recipients: ${DEMO_RECIPIENTS.length} (${r.created} new)`,
  ];
}

/** One file: recipients when it is a CSV, sources otherwise (by its name's extension). */
async function seedFile(db: Db, file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (/\.csv$/i.test(file)) {
    const [{ importRecipientsCsv }, { RecipientsCsvError }] = await Promise.all([
      import('../deliver/recipients.ts'),
      import('../deliver/recipients-csv.ts'),
    ]);
    const report = await importRecipientsCsv(db, bytes).catch((e: unknown) => {
      throw e instanceof RecipientsCsvError ? new CliError(`${file}: ${e.message}`) : e;
    });
    return `${file}: ${report.valid} recipients (${report.created} new, ${report.updated} updated, ${report.invalid.length} invalid)`;
  }
  const [{ formatOfFile, parseSourcesFile, SourcesFileError }, { derivedKey }, { sourcesQ }] = await Promise.all([
    import('../collect/source-files.ts'),
    import('../collect/source-spec.ts'),
    import('../db/queries/index.ts'),
  ]);
  let defs;
  try {
    defs = parseSourcesFile(bytes.toString('utf8'), formatOfFile(file), file);
  } catch (e) {
    if (e instanceof SourcesFileError) throw new CliError(`${e.message.split('\n')[0]}; nothing seeded from it`);
    throw e;
  }
  const saved = await sourcesQ.saveSourceDefinitions(
    db,
    defs.map((d) => ({ ...d, fallbackKey: derivedKey(d.kind, d.url) })),
  );
  const count = (o: string) => saved.filter((s) => s.outcome === o).length;
  return `${file}: ${defs.length} sources (${count('created')} new, ${count('updated')} updated)`;
}

/** `finrep seed [--demo] [--file F …]`: the seed's `seed_test_data.py`, into whichever database is configured. */
export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description('load the demo sources and recipients, or sources (YAML/JSON/OPML) and recipients (CSV) files')
    .option('--demo', 'the demo world: its sources (keys demo:…) and its three recipients')
    .option('--demo-url <url>', 'where the demo sources point (finrep run --demo re-points them)', DEMO_BASE_URL)
    .option('--file <file...>', 'a sources file (.yaml/.yml/.json/.opml) or a recipients file (.csv)')
    .action(async (flags: { demo?: boolean; demoUrl: string; file?: string[] }) => {
      if (!flags.demo && !flags.file?.length) throw new CliError('nothing to seed: give --demo and/or --file FILE');
      await withDatabase(async (database, ctx) => {
        const report = await seedDatabase(database.db, {
          demo: flags.demo,
          files: flags.file,
          timeZone: ctx.config.timeZone,
          demoBaseUrl: flags.demoUrl.replace(/\/+$/, ''),
        });
        for (const line of report.lines) process.stderr.write(`${line}\n`);
      });
    });
}
