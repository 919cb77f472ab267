import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { SourceRow } from '../db/queries/sources.ts';
import type { SourceDefinition } from '../collect/source-spec.ts';
import { definitionOfRow } from '../collect/source-row.ts';
import type { Database } from '../db/client.ts';
import { CliError } from './errors.ts';
import { withDatabase } from './context.ts';
import type { Context } from './context.ts';

// The validator and the file formats load cheerio and yaml: only the actions that need them import them.

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

interface DefinitionFlags {
  kind?: string;
  name?: string;
  url?: string;
  key?: string;
  weight?: string;
  timezone?: string;
  rules?: string;
  itemSelector?: string;
  titleSelector?: string;
  dateSelector?: string;
  contentSelector?: string;
  waitFor?: string;
  header?: string[];
  allowPrivate?: boolean;
  disabled?: boolean;
}

/** The definition flags `add`, `edit` and `test` share. */
function definitionOptions(cmd: Command): Command {
  return cmd
    .option('--kind <kind>', 'rss | web | dynamic')
    .option('--name <name>', 'display name')
    .option('--url <url>', 'feed URL, or list page URL (web, dynamic)')
    .option('--key <key>', 'stable identifier (derived from the URL when absent)')
    .option('--weight <n>', 'ranking weight, 0–10 (default 1)')
    .option('--timezone <zone>', 'IANA zone of dates printed without one (default: TZ)')
    .option('--rules <json|yaml>', 'the whole rules object, e.g. \'{"itemSelector":"ul.news a"}\'')
    .option('--item-selector <css>', 'rules.itemSelector: links to articles on the list page')
    .option('--title-selector <css>', 'rules.titleSelector')
    .option('--date-selector <css>', 'rules.dateSelector')
    .option('--content-selector <css>', 'rules.contentSelector')
    .option('--wait-for <css>', 'rules.waitForSelector (dynamic)')
    .option('--header <name: value>', 'request header (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--allow-private', 'allow private/loopback addresses (local servers)')
    .option('--disabled', 'store it disabled');
}

/** The definition the flags describe, on top of `base` (an existing source's, for `edit`). */
async function definitionFrom(flags: DefinitionFlags, base: Record<string, unknown> = {}): Promise<SourceDefinition> {
  const { parse } = await import('yaml');
  const def: Record<string, unknown> = { ...base };
  const set = (k: string, v: unknown) => v !== undefined && (def[k] = v);
  set('kind', flags.kind);
  set('name', flags.name);
  set('url', flags.url);
  set('key', flags.key);
  set('timezone', flags.timezone);
  if (flags.weight !== undefined)
    def.weight = Number.isFinite(Number(flags.weight)) ? Number(flags.weight) : flags.weight;
  if (flags.allowPrivate) def.allowPrivate = true;
  if (flags.disabled) def.enabled = false;
  if (flags.rules !== undefined) {
    try {
      def.rules = parse(flags.rules) as unknown;
    } catch (e) {
      throw new CliError(`--rules: not JSON or YAML (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const rules = { ...((def.rules as Record<string, unknown> | null) ?? {}) };
  const setRule = (k: string, v: string | undefined) => v !== undefined && (rules[k] = v);
  setRule('itemSelector', flags.itemSelector);
  setRule('titleSelector', flags.titleSelector);
  setRule('dateSelector', flags.dateSelector);
  setRule('contentSelector', flags.contentSelector);
  setRule('waitForSelector', flags.waitFor);
  if (Object.keys(rules).length > 0) def.rules = rules;
  if (flags.header) {
    const headers = { ...((def.headers as Record<string, string>) ?? {}) };
    for (const h of flags.header) {
      const i = h.indexOf(':');
      if (i <= 0) throw new CliError(`--header "${h}": expected "Name: value"`);
      headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    }
    def.headers = headers;
  }
  const { parseSourceDefinition, SourceSpecError } = await import('../collect/source-spec.ts');
  try {
    return parseSourceDefinition(def);
  } catch (e) {
    if (e instanceof SourceSpecError)
      throw new CliError(
        `invalid source: ${e.issues.map((i) => `${i.path.join('.') || 'definition'}: ${i.message}`).join('; ')}`,
      );
    throw e;
  }
}

export { definitionOfRow };

const withDb = <T>(fn: (db: Database['db'], ctx: Context) => Promise<T>): Promise<T> =>
  withDatabase((database, ctx) => fn(database.db, ctx));

async function sourceOrFail(db: Database['db'], ref: string): Promise<SourceRow> {
  const { sourcesQ } = await import('../db/queries/index.ts');
  const row = await sourcesQ.findSourceByRef(db, ref);
  if (!row) throw new CliError(`no source ${ref} (give its id or key; \`finrep sources\` lists them)`);
  return row;
}

const rowJson = (s: SourceRow) => ({
  id: s.id,
  key: s.key,
  name: s.name,
  kind: s.kind,
  url: s.url,
  enabled: s.enabled,
  weight: s.weight,
  timezone: s.timezone,
  rules: s.rules,
  last_success_at: s.lastSuccessAt,
  consecutive_failures: s.consecutiveFailures,
  last_error: s.lastError,
  next_attempt_at: s.nextAttemptAt,
});

async function list(flags: { json?: boolean }): Promise<void> {
  await withDb(async (db) => {
    const { sourcesQ } = await import('../db/queries/index.ts');
    const rows = await sourcesQ.listSources(db);
    if (flags.json) return out(JSON.stringify(rows.map(rowJson)));
    for (const s of rows) {
      const health =
        s.consecutiveFailures > 0
          ? `FAILING ×${s.consecutiveFailures}: ${s.lastError ?? ''}`
          : s.lastSuccessAt
            ? `ok ${s.lastSuccessAt.toISOString()}${s.lastError ? ` (warning: ${s.lastError})` : ''}`
            : 'never fetched';
      out(
        `${String(s.id).padStart(4)}  ${s.kind.padEnd(7)} ${s.enabled ? ' ' : '-'} ${s.name}  ${s.url}\n        ${health}`,
      );
    }
  });
}

/**
 * `finrep sources [list] | add | edit | remove | enable | disable | test | import | export` — sources as code
 * (DESIGN §6). Every definition passes through the shared validator (`collect/source-spec.ts`), as the API's.
 */
export function registerSources(program: Command): void {
  const sources = program
    .command('sources')
    .description('sources: list (default), add, edit, remove, enable, disable, test, import, export');

  sources
    .command('list', { isDefault: true })
    .description('list sources with their health (the default: `finrep sources`)')
    .option('--json', 'JSON output')
    .action(list);

  definitionOptions(sources.command('add').description('add a source'))
    .option('--json', 'print the stored source as JSON')
    .action(async (flags: DefinitionFlags & { json?: boolean }) => {
      const def = await definitionFrom(flags);
      await withDb(async (db) => {
        const [{ sourcesQ }, { derivedKey }] = await Promise.all([
          import('../db/queries/index.ts'),
          import('../collect/source-spec.ts'),
        ]);
        const key = def.key ?? derivedKey(def.kind, def.url);
        if (await sourcesQ.findSourceByKey(db, key))
          throw new CliError(`a source with key ${key} exists (use \`finrep sources edit ${key}\`)`);
        const row = await sourcesQ.createSource(db, { ...def, key });
        if (flags.json) return out(JSON.stringify(rowJson(row)));
        err(`source ${row.id} (${key}) added: ${row.kind} ${row.url}${row.enabled ? '' : ' (disabled)'}`);
      });
    });

  definitionOptions(
    sources.command('edit').description('change a source (unset fields keep their value)').argument('<id|key>'),
  )
    .option('--json', 'print the stored source as JSON')
    .action(async (ref: string, flags: DefinitionFlags & { json?: boolean }) => {
      await withDb(async (db) => {
        const { sourcesQ } = await import('../db/queries/index.ts');
        const row = await sourceOrFail(db, ref);
        const { key: oldKey, ...base } = definitionOfRow(row);
        // a kind change brings its own rules: the old ones may not fit
        const def = await definitionFrom(
          flags,
          flags.kind && flags.kind !== row.kind ? { ...base, rules: null } : base,
        );
        const key = def.key ?? oldKey ?? (await import('../collect/source-spec.ts')).derivedKey(def.kind, def.url);
        if (key !== oldKey && (await sourcesQ.findSourceByKey(db, key)))
          throw new CliError(`a source with key ${key} exists`);
        const updated = (await sourcesQ.updateSource(db, row.id, { ...def, key }))!;
        if (flags.json) return out(JSON.stringify(rowJson(updated)));
        err(`source ${row.id} (${key}) updated`);
      });
    });

  sources
    .command('remove')
    .description('delete a source (with --force also its stored articles; prefer disable)')
    .argument('<id|key>')
    .option('--force', 'delete even when articles from it are stored (they go too, with their report lines)')
    .action(async (ref: string, flags: { force?: boolean }) => {
      await withDb(async (db) => {
        const { sourcesQ } = await import('../db/queries/index.ts');
        const row = await sourceOrFail(db, ref);
        const n = await sourcesQ.countSourceArticles(db, row.id);
        if (n > 0 && !flags.force)
          throw new CliError(
            `source ${row.id} has ${n} stored articles; \`finrep sources disable ${ref}\` keeps them, --force deletes them`,
          );
        await sourcesQ.deleteSource(db, row.id);
        err(`source ${row.id} (${row.key ?? row.name}) removed${n > 0 ? ` with ${n} articles` : ''}`);
      });
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    sources
      .command(name)
      .description(`${enabled ? 'collect' : 'stop collecting'} a source`)
      .argument('<id|key>')
      .action(async (ref: string) => {
        await withDb(async (db) => {
          const { sourcesQ } = await import('../db/queries/index.ts');
          const row = await sourceOrFail(db, ref);
          await sourcesQ.setSourceEnabled(db, row.id, enabled);
          err(`source ${row.id} (${row.key ?? row.name}) ${enabled ? 'enabled' : 'disabled'}`);
        });
      });
  }

  definitionOptions(
    sources
      .command('test')
      .description(
        'fetch a source now and print what it yields, storing nothing (a stored source, or one described by flags)',
      )
      .argument('[id|key]'),
  )
    .option('--limit <n>', 'items printed', '10')
    .option('--json', 'JSON output')
    .action(async (ref: string | undefined, flags: DefinitionFlags & { limit: string; json?: boolean }) => {
      const limit = Math.max(0, Number(flags.limit) || 0);
      await withDb(async (db, ctx) => {
        const { key: _k, ...stored } = ref ? definitionOfRow(await sourceOrFail(db, ref)) : { key: null };
        // flags on top of a stored source try a change before `edit` stores it
        const def = await definitionFrom(flags, stored);
        const { runPreview } = await import('../collect/preview-run.ts');
        const p = await runPreview(def, { crawl: ctx.config.crawl, timeZone: ctx.config.timeZone, log: ctx.log });
        if (flags.json) {
          out(JSON.stringify({ source: { ...def, key: def.key ?? ref ?? null }, ...p }));
          if (!p.ok) process.exitCode = 1;
          return;
        }
        if (!p.ok) throw new CliError(`${def.url}: ${p.error}`);
        out(
          `${def.name} (${def.kind}) ${def.url}: ${p.items.length} items, HTTP ${p.http_status ?? '-'}, ${p.bytes} bytes, ${p.duration_ms} ms`,
        );
        for (const w of p.warnings) out(`  warning: ${w}`);
        for (const [n, i] of p.items.slice(0, limit).entries()) {
          out(`\n${n + 1}. ${i.title}`);
          out(`   ${i.published_at ?? '(no date)'}${i.author ? ` · ${i.author}` : ''}`);
          out(`   ${i.url}`);
          if (i.excerpt) out(`   ${i.excerpt}`);
        }
        if (p.items.length > limit) out(`\n… ${p.items.length - limit} more (--limit)`);
      });
    });

  sources
    .command('export')
    .description('write every source as YAML (default), JSON, or OPML (feeds only)')
    .option('--format <yaml|json|opml>', 'file format (default: from --output, else yaml)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (flags: { format?: string; output?: string }) => {
      const { formatOfFile, formatSourcesFile } = await import('../collect/source-files.ts');
      const format = checkFormat(flags.format) ?? (flags.output ? formatOfFile(flags.output) : 'yaml');
      await withDb(async (db) => {
        const { sourcesQ } = await import('../db/queries/index.ts');
        const rows = await sourcesQ.listSources(db);
        const { text, skipped } = formatSourcesFile(rows.map(definitionOfRow), format);
        if (flags.output) writeFileSync(flags.output, text);
        else process.stdout.write(text);
        if (skipped.length > 0) err(`OPML holds feeds only; not exported: ${skipped.join(', ')} (use yaml or json)`);
        if (flags.output) err(`${rows.length - skipped.length} sources written to ${flags.output}`);
      });
    });

  sources
    .command('import')
    .description('create or update sources from a YAML, JSON or OPML file (matched by key, else by URL)')
    .argument('<file>', '.yaml/.yml, .json, or .opml/.xml; "-" reads stdin')
    .option('--format <yaml|json|opml>', 'file format (default: from the file name)')
    .option('--dry-run', 'check the file and show what would change, writing nothing')
    .option('--json', 'print the outcome as JSON')
    .action(async (file: string, flags: { format?: string; dryRun?: boolean; json?: boolean }) => {
      const [{ fieldsCarried, formatOfFile, parseSourcesFile, SourcesFileError }, { derivedKey }] = await Promise.all([
        import('../collect/source-files.ts'),
        import('../collect/source-spec.ts'),
      ]);
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const format = checkFormat(flags.format) ?? formatOfFile(file);
      let defs: SourceDefinition[];
      try {
        defs = parseSourcesFile(text, format, file === '-' ? 'stdin' : file);
      } catch (e) {
        if (!(e instanceof SourcesFileError)) throw e;
        if (e.issues.length === 1) throw new CliError(`${e.message}; nothing imported`);
        for (const line of e.message.split('\n')) err(line);
        throw new CliError(`${e.file}: ${e.issues.length} problems (above); nothing imported`);
      }
      await withDb(async (db) => {
        const { sourcesQ } = await import('../db/queries/index.ts');
        const saved = await sourcesQ.saveSourceDefinitions(
          db,
          defs.map((d) => ({ ...d, fallbackKey: derivedKey(d.kind, d.url) })),
          { dryRun: flags.dryRun, carries: fieldsCarried(format) },
        );
        const count = (o: string) => saved.filter((s) => s.outcome === o).length;
        const summary = {
          file,
          dry_run: flags.dryRun ?? false,
          created: count('created'),
          updated: count('updated'),
          unchanged: count('unchanged'),
        };
        if (flags.json) return out(JSON.stringify({ ...summary, sources: saved }));
        for (const s of saved) {
          const changed = s.changed.length > 0 ? ` (${s.changed.join(', ')})` : '';
          const kept = s.kept.length > 0 ? ` — kept ${s.kept.join(', ')} (not in the file)` : '';
          if (s.outcome !== 'unchanged' || kept) err(`  ${s.outcome.padEnd(9)} ${s.key}${changed}${kept}`);
        }
        err(
          `${file}: ${defs.length} sources → ${summary.created} new, ${summary.updated} updated, ${summary.unchanged} unchanged${flags.dryRun ? ' (dry run: nothing written)' : ''}`,
        );
      });
    });
}

function checkFormat(v: string | undefined): 'yaml' | 'json' | 'opml' | undefined {
  if (v === undefined) return undefined;
  const f = v.toLowerCase() === 'yml' ? 'yaml' : v.toLowerCase();
  if (f === 'yaml' || f === 'json' || f === 'opml') return f;
  throw new CliError(`--format ${v}: expected yaml, json or opml`);
}
