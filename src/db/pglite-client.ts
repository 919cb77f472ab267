/**
 * The embedded database (PGlite) on a thread of its own (`pglite-thread.mjs`), behind the two methods drizzle's
 * PGlite driver calls: `query` and `transaction`. PGlite executes each statement synchronously; on the main
 * thread a dedup lookup or a window query stopped every fetch, parse and SMTP exchange of the process for as
 * long as it ran (the embedded edition spent about 40 % of its main thread inside PGlite). On its own thread
 * the database works while the main thread goes on, as PostgreSQL does in its own process.
 */
import { Worker } from 'node:worker_threads';

const THREAD = new URL('./pglite-thread.mjs', import.meta.url);

/**
 * The database thread's V8 limits. Its JavaScript only turns statements and rows into messages: a young
 * generation of 8 MB (V8 grows it to 48 MB under load, then keeps it) is plenty, and the rest is PGlite's
 * WebAssembly memory, which these limits do not count.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** A thread started by `ThreadedPglite.preload`, loading PGlite while it waits for its folder. */
let spare: Worker | null = null;

/**
 * PGlite's compiled WebAssembly modules, as the first thread that opened a database compiled them: every later
 * thread of the process (a restart, another database) instantiates these instead of compiling its own.
 */
let compiled: unknown = null;

/** What drizzle passes with a query (only `rowMode` and whether `parsers` are given matter here). */
interface QueryConfig {
  rowMode?: 'array' | 'object';
  parsers?: unknown;
}

/** A query's result as PGlite gives it. */
export interface ThreadQueryResult {
  rows: unknown[];
  affectedRows?: number;
  fields: { name: string; dataTypeID: number }[];
}

/** The part of PGlite a transaction's callback gets. */
export interface ThreadTransaction {
  query(sql: string, params?: unknown[], config?: QueryConfig): Promise<ThreadQueryResult>;
}

interface Pending {
  resolve: (r: ThreadQueryResult) => void;
  reject: (e: Error) => void;
}

/** An error from the database thread, with PostgreSQL's fields (`code`, `severity`, `detail` …) as PGlite gives them. */
function rebuildError(plain: Record<string, unknown>): Error {
  const err = new Error(String(plain.message ?? 'database error'));
  Object.assign(err, plain);
  return err;
}

/**
 * PGlite in a worker thread. Statements run one at a time in call order; a transaction holds the database
 * for its callback (its statements only), as the single connection of PGlite does.
 *
 * @example const client = await ThreadedPglite.open(dir); drizzle(client as unknown as PGlite, { schema })
 */
export class ThreadedPglite {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The tail of the statements and transactions queued so far. */
  private turn: Promise<unknown> = Promise.resolve();
  private dead: Error | null = null;
  /** Threads closed by `restart`: their end is expected. */
  private readonly retired = new WeakSet<Worker>();

  private worker: Worker;
  /** Whether the current thread compiled PGlite's WebAssembly itself (false: it reused its predecessor's). */
  private compiledHere = true;

  /** Whether the current thread compiled PGlite's WebAssembly itself, rather than reusing the process's (diagnostics). */
  get compiledItsOwnCode(): boolean {
    return this.compiledHere;
  }

  private constructor(
    worker: Worker,
    private readonly dir: string,
    private readonly settings: readonly string[],
  ) {
    this.worker = worker;
    this.attach(worker);
  }

  private attach(worker: Worker): void {
    worker.on('message', (m: { id: number; result?: ThreadQueryResult; error?: Record<string, unknown> }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error) p.reject(rebuildError(m.error));
      else p.resolve(m.result!);
    });
    const fail = (err: Error) => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`the embedded database thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => {
      if (!this.retired.has(worker)) fail(new Error(`the embedded database thread exited (code ${code})`));
    });
  }

  /**
   * Starts a database thread ahead of time: it loads PGlite and compiles its WebAssembly (most of PGlite's
   * start) while this thread loads the configuration and drizzle; the next `open` takes it. A command that
   * opens the embedded database calls this first. `discardPreload` ends it when PostgreSQL is used instead.
   */
  static preload(): void {
    if (spare) return;
    const worker = new Worker(THREAD, { workerData: { modules: compiled }, resourceLimits: THREAD_LIMITS });
    // Until `open` takes it, it neither keeps the process alive nor takes it down.
    worker.unref();
    worker.on('error', () => {});
    worker.once('exit', () => {
      if (spare === worker) spare = null;
    });
    spare = worker;
  }

  /** Ends the thread `preload` started, if no `open` took it. */
  static async discardPreload(): Promise<void> {
    const worker = spare;
    spare = null;
    await worker?.terminate();
  }

  /** Starts the thread and opens (or creates) the database in `dir`, with PostgreSQL `settings` (`name=value`). */
  static async open(dir: string, settings: readonly string[] = []): Promise<ThreadedPglite> {
    const started = await ThreadedPglite.start(dir, settings);
    const client = new ThreadedPglite(started.worker, dir, settings);
    client.compiledHere = started.compiledHere;
    return client;
  }

  /**
   * Closes the database and opens it again on a new thread, between two statements: a WebAssembly memory
   * never shrinks, so the memory a large statement made PGlite take is given back only with its thread.
   */
  async restart(): Promise<void> {
    if (this.dead) return;
    await this.exclusive(async () => {
      const old = this.worker;
      this.retired.add(old);
      await this.closeThread();
      // The old thread's memory (its WebAssembly heap, its V8 heap) goes before the new one takes its own:
      // both at once would be the process's peak.
      await old.terminate();
      try {
        const started = await ThreadedPglite.start(this.dir, this.settings);
        this.worker = started.worker;
        this.compiledHere = started.compiledHere;
      } catch (err) {
        this.dead = new Error(`the embedded database could not be reopened: ${(err as Error).message}`, { cause: err });
        throw this.dead;
      }
      this.attach(this.worker);
    });
  }

  private static async start(
    dir: string,
    settings: readonly string[],
  ): Promise<{ worker: Worker; compiledHere: boolean }> {
    let worker: Worker;
    if (spare) {
      worker = spare;
      spare = null;
      worker.ref();
      worker.postMessage({ open: { dir, settings } });
    } else {
      worker = new Worker(THREAD, { workerData: { dir, settings, modules: compiled }, resourceLimits: THREAD_LIMITS });
    }
    let compiledHere = true;
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`the embedded database thread exited (code ${code}) while opening`));
      worker.once('exit', onExit);
      worker.once('error', reject);
      type Ready = { ready: boolean; modules?: unknown; compiledHere?: boolean; error?: Record<string, unknown> };
      worker.once('message', (m: Ready) => {
        worker.off('exit', onExit);
        worker.off('error', reject);
        compiled ??= m.modules ?? null;
        compiledHere = m.compiledHere ?? true;
        if (m.ready) resolve();
        else reject(rebuildError(m.error ?? {}));
      });
    });
    // Idle, the thread does not keep the process alive (a command ends when its work does); a statement in
    // flight does.
    worker.unref();
    return { worker, compiledHere };
  }

  /** One statement, after those queued before it. */
  query(sql: string, params: unknown[] = [], config: QueryConfig = {}): Promise<ThreadQueryResult> {
    return this.exclusive(() => this.send(sql, params, config));
  }

  /** `fn`'s statements between BEGIN and COMMIT (ROLLBACK when it throws), nothing else in between. */
  transaction<T>(fn: (tx: ThreadTransaction) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.send('BEGIN');
      let result: T;
      try {
        result = await fn({ query: (sql, params = [], config = {}) => this.send(sql, params, config) });
      } catch (err) {
        await this.send('ROLLBACK').catch(() => {});
        throw err;
      }
      await this.send('COMMIT');
      return result;
    });
  }

  /** PGlite's dump of its data folder (`dumpDataDir`, a gzipped tarball), between two statements. */
  dumpDataDir(): Promise<Uint8Array> {
    return this.exclusive(async () => {
      if (this.dead) throw this.dead;
      const result = await new Promise<ThreadQueryResult & { tarball?: ArrayBuffer }>((resolve, reject) => {
        const id = this.nextId++;
        this.pending.set(id, { resolve, reject });
        this.worker.ref();
        this.worker.postMessage({ id, dump: true });
      });
      return new Uint8Array(result.tarball!);
    });
  }

  /** Closes the database and ends the thread. */
  async close(): Promise<void> {
    if (this.dead) return;
    await this.exclusive(() => this.closeThread());
    await this.worker.terminate();
  }

  /** PGlite closed cleanly (its files consistent) on the current thread. */
  private closeThread(): Promise<void> {
    return new Promise<void>((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      this.worker.ref();
      this.worker.postMessage({ id, close: true });
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => {});
    return run;
  }

  private send(sql: string, params: unknown[] = [], config: QueryConfig = {}): Promise<ThreadQueryResult> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({
        id,
        sql,
        params,
        rowMode: config.rowMode ?? 'object',
        rawDates: config.parsers !== undefined,
      });
    });
  }
}
