/**
 * Worker threads that parse and fingerprint chunks of `finrep dedup --jsonl`'s input
 * (`fingerprint-worker.ts`), so that the thread that clusters only clusters. Each chunk goes to the least busy
 * worker; results come back as transferred typed arrays (`FeatureBatch`), and the caller puts them back in
 * input order by their sequence number.
 *
 * The worker module is the compiled `.js` beside this file in a build, and the TypeScript source under tsx
 * (`bin/finrep.js` on a checkout without a current build), where the worker registers tsx's loader first.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkResult } from './jsonl.ts';

interface Pending {
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
  worker: number;
}

/** The worker to start: the built module, or the TypeScript source through tsx's loader. */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./fingerprint-worker.js', here));
  const url = new URL('./fingerprint-worker.ts', here).href;
  // Resolved here: the worker's own resolution would start from the current directory.
  const tsx = import.meta.resolve('tsx/esm/api');
  const tsconfig = fileURLToPath(new URL('../../tsconfig.json', here));
  return new Worker(
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(url)}); });`,
    { eval: true },
  );
}

export class FingerprintPool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private failed: Error | null = null;

  constructor(size: number) {
    for (let w = 0; w < size; w++) {
      const worker = startWorker();
      worker.on('message', (m: { seq: number; result?: ChunkResult; crash?: string }) => {
        const p = this.pending.get(m.seq);
        if (!p) return;
        this.pending.delete(m.seq);
        this.busy[p.worker]!--;
        if (m.result) p.resolve(m.result);
        else p.reject(new Error(`fingerprint worker: ${m.crash}`));
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`fingerprint worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.busy.push(0);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Chunks sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Fingerprints a chunk of whole lines (its bytes are transferred: `bytes` is unusable afterwards). */
  run(seq: number, bytes: Uint8Array): Promise<ChunkResult> {
    if (this.failed) return Promise.reject(this.failed);
    let w = 0;
    for (let k = 1; k < this.busy.length; k++) if (this.busy[k]! < this.busy[w]!) w = k;
    this.busy[w]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, worker: w });
      this.workers[w]!.postMessage({ seq, bytes }, [bytes.buffer as ArrayBuffer]);
    });
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.failed ??= new Error('fingerprint pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
