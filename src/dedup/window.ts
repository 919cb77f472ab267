/**
 * The dedup stage's candidate index for a whole run: one `PostingIndex` (the one `clusterItems` reads) holding
 * the stored articles of the run's time window — read once from `articles.dedup_keys` (`windowKeys`: one
 * range of the time index) — and every article the run assigns, added as it is decided. A newcomer's
 * candidates then come from memory, never from a query per batch: a flood of one feed is looked up against
 * itself in memory, where each batch's key query used to re-read the feed's growing postings.
 *
 * What is in memory must be what is stored: the run holds the dedup lock (`withDedupLock` in `run.ts`), so no
 * other run assigns stories meanwhile, and new articles that collect stores meanwhile are unclustered (a
 * later run's newcomers), never candidates.
 */
import type { Db } from '../db/client.ts';
import { dedupIndexQ } from '../db/queries/index.ts';
import type { WindowArticle } from '../db/queries/dedup-index.ts';
import { DEFAULT_MAX_HAMMING } from './cluster.ts';
import { textKeys } from './keys.ts';
import type { Fingerprint } from './fingerprint.ts';
import { PostingIndex } from './postings.ts';
import type { CandidateStats, Posting } from './postings.ts';
import { fromSigned64 } from './simhash.ts';

/** An indexed article: its id, and its story (`-representativeId` for a story the run started). */
export interface WindowEntry extends Posting {
  id: number;
  clusterId: number;
}

/** A newcomer as the index sees it: its fingerprint, its `dedupKeys`, its time. */
export interface WindowProbe {
  fp: Fingerprint;
  keys: readonly number[];
  at: Date;
}

/**
 * The loaded span is read again from scratch (the index rebuilt) once the newcomers have moved this many
 * windows past its start: a backlog over months holds a few windows in memory, not the months.
 */
const REBUILD_AFTER_WINDOWS = 4;

/** The run's candidate index (see the module comment). */
export class WindowIndex {
  private index: PostingIndex<WindowEntry>;
  private span: { from: number; to: number } | null = null;
  /** Stored articles read (`windowKeys`) and the reads made: for tests and benchmarks. */
  readonly loaded = { articles: 0, reads: 0 };

  constructor(
    private readonly windowMs: number,
    private readonly maxHamming = DEFAULT_MAX_HAMMING,
  ) {
    this.index = new PostingIndex<WindowEntry>(windowMs, maxHamming);
  }

  /**
   * Makes the stored articles within ± the window of [first, last] (newcomers in time order, batch after
   * batch) indexed: nothing to read while a batch stays inside the span already read, the part past its end
   * when the newcomers move on, the whole span again after a gap. `settled` is awaited before any read: the
   * run's earlier decisions must be stored for a rebuilt index to hold them.
   */
  async cover(db: Db, first: Date, last: Date, settled: () => Promise<void>): Promise<void> {
    const from = first.getTime() - this.windowMs;
    const to = last.getTime() + this.windowMs;
    const span = this.span;
    if (span && from >= span.from && to <= span.to) return;
    await settled();
    if (!span || from > span.to || from - span.from > REBUILD_AFTER_WINDOWS * this.windowMs) {
      this.index = new PostingIndex<WindowEntry>(this.windowMs, this.maxHamming);
      this.read(await dedupIndexQ.windowKeys(db, new Date(from), new Date(to)));
      this.span = { from, to };
    } else if (to > span.to) {
      this.read(await dedupIndexQ.windowKeys(db, new Date(span.to), new Date(to), { after: true }));
      span.to = to;
    }
  }

  private read(rows: readonly WindowArticle[]): void {
    this.loaded.reads++;
    this.loaded.articles += rows.length;
    for (const r of rows) this.add(r.id, r.effectiveAt, r.clusterId, fromSigned64(r.simhash), r.keys);
  }

  /**
   * Indexes an article under its `keys` (distinct) with its story (`-representativeId` for one the run
   * started). Each article is added once: the spans read never overlap, and the run's own articles are dated
   * before the end of the span read when they are decided.
   */
  add(id: number, at: Date, clusterId: number, simhash: bigint, keys: readonly number[]): void {
    this.index.add({ id, at: at.getTime(), seq: id, clusterId, simhash }, keys, true);
  }

  /**
   * A newcomer's candidates, as `clusterItems` reads them (`PostingIndex.candidates`: frequent keys sampled,
   * at most `MAX_VERIFIED`, only those that `couldMatch`), oldest first, then by id.
   */
  candidates(n: WindowProbe, stats?: CandidateStats): WindowEntry[] {
    const probe = { keys: n.keys, textKeys: new Set(textKeys(n.fp)), simhash: n.fp.simhash, at: n.at.getTime() };
    return this.index.candidates(probe, stats).map((c) => c.entry);
  }
}
