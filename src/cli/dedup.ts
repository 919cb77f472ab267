import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { StoryClusterer, clusterOrder } from '../dedup/cluster.ts';
import { batchDocs } from '../dedup/feature-batch.ts';
import type { CompactDoc } from '../dedup/feature-batch.ts';
import { FingerprintPool } from '../dedup/fingerprint-pool.ts';
import { DedupInputError, chunkError, fingerprintChunk, parseDedupLine as parseLine } from '../dedup/jsonl.ts';
import type { ChunkResult, DedupLine, Id } from '../dedup/jsonl.ts';
import { CliError } from './errors.ts';

export type { DedupLine } from '../dedup/jsonl.ts';

/**
 * Parses one JSON line of `finrep dedup --jsonl`; throws a CliError naming the line.
 *
 * @example parseDedupLine('{"id":"a","title":"t","text":"x"}', 1)
 */
export function parseDedupLine(line: string, lineNo: number): DedupLine {
  try {
    return parseLine(line, lineNo);
  } catch (err) {
    throw err instanceof DedupInputError ? new CliError(err.message) : err;
  }
}

/** Bytes of whole lines per chunk: a few hundred reports of ~1,000 characters. */
const CHUNK_BYTES = 1 << 20;

/** The input in chunks of whole lines (each ends with "\n" but the last), at least `size` bytes but the last. */
async function* lineChunks(input: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const data of input as AsyncIterable<Buffer>) {
    parts.push(data);
    length += data.length;
    if (length < size) continue;
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
    const end = all.lastIndexOf(10) + 1;
    if (end === 0) {
      parts = [all];
      continue;
    }
    yield all.subarray(0, end);
    parts = end < all.length ? [all.subarray(end)] : [];
    length = all.length - end;
  }
  if (length > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
}

/** Opens the input, failing with one line when it cannot be read. */
async function open(file: string): Promise<Readable> {
  if (file === '-') return process.stdin;
  const input = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  await new Promise<void>((resolve, reject) => {
    input.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(`${file}: cannot read (${err.code ?? err.message})`)),
    );
    input.once('open', () => resolve());
  });
  return input;
}

/**
 * Documents in input order, clustered as they come while they come in publication order (then the undated
 * ones); the first one out of order sends them all through `clusterOrder` at the end instead — the same order,
 * so the same stories.
 */
class Collector {
  readonly docs: CompactDoc<Id>[] = [];
  private readonly seen = new Map<Id, number>();
  private clusterer: StoryClusterer<Id> | null = new StoryClusterer<Id>();
  private readonly undated: CompactDoc<Id>[] = [];
  private lastAt = Number.NEGATIVE_INFINITY;
  private nextLine = 1;

  /** Takes the next chunk's result, in input order; throws the first bad line's error. */
  take(r: ChunkResult): void {
    const docs = batchDocs(r.batch, r.ids, r.at);
    for (let k = 0; k < docs.length; k++) {
      const d = docs[k]!;
      const lineNo = this.nextLine + r.lineNos[k]! - 1;
      const first = this.seen.get(d.id);
      if (first !== undefined)
        throw new CliError(`line ${lineNo}: id ${JSON.stringify(d.id)} was already used on line ${first}`);
      this.seen.set(d.id, lineNo);
      this.docs.push(d);
      if (!this.clusterer) continue;
      if (d.at === Number.POSITIVE_INFINITY) this.undated.push(d);
      else if (d.at >= this.lastAt) {
        this.clusterer.add(d);
        this.lastAt = d.at;
      } else this.clusterer = null;
    }
    const err = chunkError(r, this.nextLine);
    if (err) throw new CliError(err.message);
    this.nextLine += r.lines;
  }

  /** Story id of every document, by id. */
  finish(): Map<Id, Id> {
    let c = this.clusterer;
    if (c) for (const d of this.undated) c.add(d);
    else {
      c = new StoryClusterer<Id>();
      for (const d of clusterOrder(this.docs)) c.add(d);
    }
    return c.clusters;
  }
}

const hex8 = (v: number) => v.toString(16).padStart(8, '0');

/**
 * The output of `finrep dedup --jsonl` for `file`: one `{id, simhash, cluster}` line per document. With
 * `threads` > 0 and more than one chunk of input, worker threads parse and fingerprint while this thread
 * clusters; the output is the same with any number of threads.
 */
export async function dedupJsonl(file: string, threads: number): Promise<string> {
  const input = await open(file);
  const collector = new Collector();
  const results = new Map<number, ChunkResult>();
  let pool: FingerprintPool | null = null;
  let sent = 0;
  let taken = 0;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const takeReady = () => {
    for (let r = results.get(taken); r; r = results.get(taken)) {
      results.delete(taken++);
      collector.take(r);
    }
  };
  const settled = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const until = async (done: () => boolean) => {
    while (!failure && !done()) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure.error;
  };
  try {
    for await (const chunk of lineChunks(input, CHUNK_BYTES)) {
      const seq = sent++;
      // Here rather than in a worker: the first chunk, while the workers start (all of a small input), and a
      // chunk that would only queue behind busy workers while this thread has nothing to cluster.
      const idle = pool !== null && pool.inFlight >= 2 * pool.size && !results.has(taken);
      if (seq === 0 || threads <= 0 || idle) {
        results.set(seq, fingerprintChunk(chunk.toString('utf8')));
        takeReady();
        continue;
      }
      const p = (pool ??= new FingerprintPool(threads));
      p.run(seq, new Uint8Array(chunk)).then(
        (r) => {
          results.set(seq, r);
          try {
            takeReady();
          } catch (error) {
            failure ??= { error };
          }
          settled();
        },
        (error: unknown) => {
          failure ??= { error };
          settled();
        },
      );
      // Bounded memory: at most a few chunks per worker ahead of the clustering.
      await until(() => p.inFlight < 3 * p.size);
    }
    await until(() => taken === sent);
  } finally {
    await pool?.close();
  }
  const clusters = collector.finish();
  const out = collector.docs.map((d) =>
    JSON.stringify({ id: d.id, simhash: hex8(d.hi) + hex8(d.lo), cluster: clusters.get(d.id) }),
  );
  return out.length ? `${out.join('\n')}\n` : '';
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
    .option(
      '--threads <n>',
      'worker threads that parse and fingerprint while this one clusters (0: none; default: one per CPU core but one)',
    )
    .action(async (flags: { jsonl: string; threads?: string }) => {
      const threads = flags.threads === undefined ? Math.max(1, availableParallelism() - 1) : Number(flags.threads);
      if (!Number.isInteger(threads) || threads < 0 || threads > 64)
        throw new CliError(`--threads must be an integer from 0 to 64 (got ${flags.threads})`);
      process.stdout.write(await dedupJsonl(flags.jsonl, threads));
    });
}
