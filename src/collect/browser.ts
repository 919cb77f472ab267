/**
 * Headless Chromium for dynamic sources, through playwright-core and the system browser (never a downloaded
 * one). One browser per pool, launched on first use and reused; a fresh context per page, so no cookies or
 * storage leak from one render to the next; images, fonts, media and stylesheets never leave the browser.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { Logger } from '../log.ts';
import { assertPublicHost, systemLookup } from './address-guard.ts';
import type { HostLookup } from './address-guard.ts';
import { firstLine, httpUrl, renderPage } from './browser-page.ts';
import type { Dial } from './browser-proxy.ts';
import type { RenderOptions, RenderedPage } from './browser-page.ts';
import { CollectError, FetchError } from './errors.ts';
import { HAS_PROC, browserTree, listProcs, memoryMb, procsWithArg, reap } from './proc-tree.ts';
import type { ProcInfo } from './proc-tree.ts';

export type { RenderOptions, RenderedPage } from './browser-page.ts';

/**
 * Time a render gets past its own timeout before its browser counts as hung: Playwright's timeouts end a
 * render that merely waits, but a page whose script never yields blocks even reading the DOM or closing it.
 */
export const RENDER_GRACE_MS = 3_000;
/** How long `browser.close()` may take before the browser's processes are killed. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Chromium switches for a headless server (see notes/dependencies.md). `--in-process-gpu` folds the GPU
 * process (a software compositor here, ~30 MB) into the browser process; the pool adds
 * `--renderer-process-limit` (one renderer per page at once, no spare ones). Pages reach the network only
 * through their render's proxy (`browser-proxy.ts`); WebRTC, whose UDP a proxy does not carry, is kept to it.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--in-process-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
];

export interface BrowserPoolOptions {
  /** The system Chromium (config `CHROMIUM_PATH`). */
  executablePath: string;
  /** Pages rendered at once (config `CRAWL_CONCURRENCY_WEB`). */
  maxPages: number;
  /** Relaunch the browser after this many pages. @defaultValue 100 */
  recycleAfterPages?: number;
  /**
   * Relaunch when the browser's processes use more than this after a page (config `CHROMIUM_MAX_RSS_MB`;
   * PSS summed over its process tree, via /proc — what a memory cgroup charges; unchecked elsewhere).
   * @defaultValue no limit
   */
  maxRssMb?: number;
  /**
   * Close the browser after this long without a render (the next render launches one, ~1 s): a worker does
   * not hold Chromium's few hundred MB between collect runs, nor while it composes and sends.
   * @defaultValue 30 000
   */
  idleCloseMs?: number;
  /** Budget of one render: navigation plus waiting for the content. @defaultValue 30 000 */
  navigationTimeoutMs?: number;
  /** @defaultValue 30 000 */
  launchTimeoutMs?: number;
  /** More Chromium switches (tests map host names with `--host-resolver-rules`). */
  extraArgs?: string[];
  log: Logger;
  /** DNS for the private-address check (tests). */
  lookup?: HostLookup;
  /** Where a render's proxy connects for a checked address (tests). @defaultValue the address itself */
  dial?: Dial;
}

export interface BrowserPoolStats {
  launches: number;
  recycles: number;
  /** Pages opened, failed renders included. */
  pagesRendered: number;
  inFlight: number;
  /** Requests for images, fonts, media and stylesheets aborted in the browser. */
  blockedRequests: number;
  /** The running browser's main process, or null when none runs (or without /proc). */
  browserPid: number | null;
  /** Its process tree's memory at the last check, or null when unmeasured. */
  memoryMb: number | null;
}

/** Renders pages in a shared headless Chromium; the caller must `close()` it. */
export interface BrowserPool {
  render(url: string, opts?: RenderOptions): Promise<RenderedPage>;
  stats(): BrowserPoolStats;
  close(): Promise<void>;
}

interface Instance {
  browser: Browser;
  /** The browser's main process, found by a marker switch on its command line. */
  root: ProcInfo | null;
  pages: number;
  inFlight: number;
  retiring: boolean;
  shutting?: Promise<void>;
  /** Why the browser was killed (a page stopped answering); its other renders fail with this reason. */
  killedFor?: string;
}

/**
 * Creates a pool; nothing is launched until the first `render`.
 *
 * @example
 * const browser = createBrowserPool({ executablePath: config.crawl.chromiumPath, maxPages: 2, log });
 * try { const { html } = await browser.render(url, { waitForSelector: '#list a' }); } finally { await browser.close(); }
 */
export function createBrowserPool(opts: BrowserPoolOptions): BrowserPool {
  const log = opts.log;
  const recycleAfter = opts.recycleAfterPages ?? 100;
  const lookup = opts.lookup ?? systemLookup;
  const slots = semaphore(Math.max(1, opts.maxPages));
  const alive = new Set<Instance>();
  const closing = new Set<Promise<void>>();
  const s = { launches: 0, recycles: 0, pagesRendered: 0, blockedRequests: 0, memoryMb: null as number | null };
  let current: { instance: Promise<Instance>; resolved?: Instance } | null = null;
  let closed = false;
  let busy = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  async function launch(): Promise<Instance> {
    const path = opts.executablePath;
    if (!existsSync(path)) {
      throw new CollectError(
        `Chromium not found at ${path} (CHROMIUM_PATH); install the chromium package or disable dynamic sources`,
      );
    }
    // Chromium ignores switches it does not know: this one lets /proc tell our browser from any other.
    const marker = `--finrep-browser=${process.pid}-${randomUUID()}`;
    const t0 = performance.now();
    let browser: Browser;
    try {
      // Loaded on first use: importing playwright-core costs about half a second.
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: path,
        args: [
          ...CHROMIUM_ARGS,
          `--renderer-process-limit=${Math.max(1, opts.maxPages)}`,
          ...(opts.extraArgs ?? []),
          marker,
        ],
        timeout: opts.launchTimeoutMs ?? 30_000,
        // Shutdown belongs to the caller: Playwright's signal handlers would exit the process on their own.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    } catch (err) {
      throw new CollectError(`Chromium at ${path} failed to launch: ${firstLine(err)}`, { cause: err });
    }
    s.launches++;
    const inst: Instance = { browser, root: null, pages: 0, inFlight: 0, retiring: false };
    // The topmost process carrying the marker (the distribution's launcher script may exec or fork).
    inst.root = (await procsWithArg(marker, await listProcs())).find((p) => p.ppid === process.pid) ?? null;
    alive.add(inst);
    browser.on('disconnected', () => {
      if (current?.resolved === inst) current = null;
      if (inst.shutting || inst.killedFor) return;
      // A crash: its helpers may live on without it.
      log.warn({ browser_pid: inst.root?.pid ?? null }, 'browser disconnected; relaunching on next use');
      void shut(inst);
    });
    log.info(
      { browser_pid: inst.root?.pid ?? null, launch_ms: Math.round(performance.now() - t0) },
      'browser launched',
    );
    return inst;
  }

  function instance(): Promise<Instance> {
    if (!current) {
      const slot: { instance: Promise<Instance>; resolved?: Instance } = {
        instance: launch().then(
          (inst) => (slot.resolved = inst),
          (err: unknown) => {
            if (current === slot) current = null;
            throw err;
          },
        ),
      };
      current = slot;
    }
    return current.instance;
  }

  function retire(inst: Instance, reason: string): void {
    if (inst.retiring) return;
    inst.retiring = true;
    if (current?.resolved === inst) current = null;
    s.recycles++;
    log.info(
      { browser_pid: inst.root?.pid ?? null, pages: inst.pages, memory_mb: s.memoryMb, reason },
      'recycling browser',
    );
  }

  /**
   * Kills a browser that stopped answering (SIGKILL to its whole process tree: closing a page whose renderer
   * spins may itself never return); its renders in flight fail, and the next render launches a fresh one.
   */
  function kill(inst: Instance, reason: string): void {
    if (inst.killedFor) return;
    inst.killedFor = reason;
    retire(inst, 'unresponsive');
    log.warn({ browser_pid: inst.root?.pid ?? null, reason }, 'killing a browser that stopped answering');
    const tree = async () => (inst.root ? browserTree(inst.root, await listProcs()) : []);
    void tree()
      .then((own) => reap(own, 0))
      .catch((err: unknown) => log.warn({ err }, 'killing the browser failed'))
      .finally(() => shut(inst));
  }

  /** Closes the browser (for at most CLOSE_TIMEOUT_MS), then reaps whatever of its process tree outlived it. */
  function shut(inst: Instance): Promise<void> {
    if (inst.shutting) return inst.shutting;
    const done = (async () => {
      const own = inst.root ? browserTree(inst.root, await listProcs()) : [];
      const closed = await within(
        inst.browser.close().then(() => true),
        CLOSE_TIMEOUT_MS,
      ).catch((err: unknown) => void log.warn({ err }, 'browser close failed'));
      if (closed === TIMED_OUT) {
        log.warn(
          { browser_pid: inst.root?.pid ?? null, close_timeout_ms: CLOSE_TIMEOUT_MS },
          'browser did not close; killing it',
        );
      }
      const killed = await reap(own, closed === TIMED_OUT ? 0 : 1_000);
      if (killed > 0) log.debug({ browser_pid: inst.root?.pid ?? null, killed }, 'reaped leftover browser processes');
    })().catch((err: unknown) => log.warn({ err }, 'browser shutdown failed'));
    closing.add(done);
    inst.shutting = done.finally(() => {
      closing.delete(done);
      alive.delete(inst);
    });
    return inst.shutting;
  }

  /** Called when no render is waiting or running: closes the running browser once it has idled long enough. */
  function armIdleClose(): void {
    clearTimeout(idleTimer);
    const idleMs = opts.idleCloseMs ?? 30_000;
    if (closed || !Number.isFinite(idleMs)) return;
    idleTimer = setTimeout(() => {
      const inst = current?.resolved;
      if (busy > 0 || !inst || inst.inFlight > 0) return;
      retire(inst, 'idle');
      void shut(inst);
    }, idleMs);
    idleTimer.unref();
  }

  async function afterPage(inst: Instance): Promise<void> {
    inst.pages++;
    s.pagesRendered++;
    if (!inst.retiring && inst.pages >= recycleAfter) retire(inst, 'pages');
    if (!inst.retiring && opts.maxRssMb !== undefined && inst.root && HAS_PROC) {
      s.memoryMb = await memoryMb(browserTree(inst.root, await listProcs()));
      if (s.memoryMb !== null && s.memoryMb > opts.maxRssMb) retire(inst, 'memory');
    }
    if (inst.retiring && inst.inFlight === 0) void shut(inst);
  }

  return {
    async render(url, o = {}) {
      if (closed) throw new CollectError('the browser pool is closed');
      const target = httpUrl(url);
      if (!o.allowPrivate) await assertPublicHost(target, lookup);
      busy++;
      clearTimeout(idleTimer);
      await slots.acquire();
      let inst: Instance | undefined;
      try {
        inst = await instance();
        inst.inFlight++;
        const timeoutMs = o.timeoutMs ?? opts.navigationTimeoutMs ?? 30_000;
        const page = await within(
          renderPage(
            inst.browser,
            target,
            { ...o, timeoutMs },
            {
              log,
              lookup,
              dial: opts.dial,
              timeoutMs,
              onBlocked: () => void s.blockedRequests++,
            },
          ),
          timeoutMs + RENDER_GRACE_MS,
        ).catch((err: unknown) => {
          throw inst?.killedFor ? killedError(target.href, inst.killedFor, err) : err;
        });
        if (page !== TIMED_OUT) return page;
        kill(inst, `${target.href} stopped answering`);
        throw new FetchError(
          `timeout rendering ${target.href}: the page stopped answering (a script that never yields?) ` +
            `and was not done after ${timeoutMs} ms; its browser was killed`,
          { url: target.href, code: 'timeout' },
        );
      } finally {
        if (inst) {
          inst.inFlight--;
          await afterPage(inst).catch((err: unknown) => log.warn({ err }, 'browser bookkeeping failed'));
        }
        slots.release();
        if (--busy === 0) armIdleClose();
      }
    },
    stats() {
      const running = current?.resolved;
      return { ...s, inFlight: [...alive].reduce((n, i) => n + i.inFlight, 0), browserPid: running?.root?.pid ?? null };
    },
    async close() {
      closed = true;
      clearTimeout(idleTimer);
      const pending = current?.instance.catch(() => undefined);
      current = null;
      await pending;
      await Promise.all([...alive].map((inst) => ((inst.retiring = true), shut(inst))));
      await Promise.all([...closing]);
    },
  };
}

const TIMED_OUT = Symbol('timed out');

/** `work`'s outcome, or TIMED_OUT when it has not settled within `ms` (the work itself is left running). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(resolve, ms, TIMED_OUT)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error of a render that was cut short because another page hung the browser they shared. */
function killedError(url: string, reason: string, cause: unknown): Error {
  if (cause instanceof FetchError && cause.code !== 'network') return cause;
  return new FetchError(`rendering ${url} failed: its browser was killed because ${reason}`, {
    url,
    code: 'network',
    cause,
  });
}

function semaphore(size: number) {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}
