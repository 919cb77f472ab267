import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { clusterItems, dedupDoc } from '../dedup/cluster.ts';
import type { ClusterInput } from '../dedup/cluster.ts';
import { toHex } from '../dedup/simhash.ts';
import { CliError } from './errors.ts';

type Id = string | number;

/** One input line, checked. */
export interface DedupLine {
  id: Id;
  title: string;
  text: string;
  published: Date | null;
}

/**
 * Parses one JSON line of `finrep dedup --jsonl`; throws a CliError naming the line.
 *
 * @example parseDedupLine('{"id":"a","title":"t","text":"x"}', 1)
 */
export function parseDedupLine(line: string, lineNo: number): DedupLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw new CliError(`line ${lineNo}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CliError(`line ${lineNo}: expected a JSON object`);
  const o = v as Record<string, unknown>;
  if (!(typeof o.id === 'string' && o.id !== '') && !(typeof o.id === 'number' && Number.isFinite(o.id))) {
    throw new CliError(`line ${lineNo}: "id" must be a non-empty string or a number`);
  }
  if (typeof o.title !== 'string') throw new CliError(`line ${lineNo}: "title" must be a string`);
  if (typeof o.text !== 'string') throw new CliError(`line ${lineNo}: "text" must be a string`);
  let published: Date | null = null;
  if (o.published !== undefined && o.published !== null) {
    published =
      typeof o.published === 'string' || typeof o.published === 'number' ? new Date(o.published) : new Date(Number.NaN);
    if (Number.isNaN(published.getTime())) {
      throw new CliError(
        `line ${lineNo}: "published" must be an ISO 8601 date or epoch milliseconds (got ${JSON.stringify(o.published)})`,
      );
    }
  }
  return { id: o.id as Id, title: o.title, text: o.text, published };
}

async function readLines(file: string): Promise<DedupLine[]> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    if (file === '-') resolve();
    input.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(`${file}: cannot read (${err.code ?? err.message})`)),
    );
    input.once('open', () => resolve());
  });
  await opened;
  const out: DedupLine[] = [];
  const seen = new Map<Id, number>();
  let lineNo = 0;
  for await (const raw of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNo++;
    if (raw.trim() === '') continue;
    const line = parseDedupLine(raw, lineNo);
    const first = seen.get(line.id);
    if (first !== undefined)
      throw new CliError(`line ${lineNo}: id ${JSON.stringify(line.id)} was already used on line ${first}`);
    seen.set(line.id, lineNo);
    out.push(line);
  }
  return out;
}

/**
 * `finrep dedup --jsonl FILE`: SimHash and story cluster of each line, decided exactly as the dedup stage
 * decides (same features, rules, window and order; a line without `published` is undated and comes last).
 */
export function registerDedup(program: Command): void {
  program
    .command('dedup')
    .description('near-duplicate clusters of articles in a JSON-lines file, decided as the dedup stage does')
    .requiredOption('--jsonl <file>', 'one {"id","title","text","published"?} object per line ("-" reads stdin)')
    .action(async (flags: { jsonl: string }) => {
      const lines = await readLines(flags.jsonl);
      const items: ClusterInput<Id>[] = lines.map((l) =>
        Object.assign(dedupDoc(l.title, l.text), { id: l.id, publishedAt: l.published }),
      );
      const clusters = clusterItems(items);
      const out: string[] = items.map((it) =>
        JSON.stringify({ id: it.id, simhash: toHex(it.simhash), cluster: clusters.get(it.id) }),
      );
      process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
    });
}
