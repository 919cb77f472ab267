/**
 * The browser pool against the real system Chromium and a real server on 127.0.0.1. Skipped, with the
 * reason in its name, where Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../log.ts';
import { createBrowserPool } from './browser.ts';
import type { BrowserPool } from './browser.ts';
import { CollectError, FetchError } from './errors.ts';
import { descendants, listProcs, stillAlive } from './proc-tree.ts';
import type { ProcInfo } from './proc-tree.ts';
import { send, startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const log = silentLogger();

/** A list page whose links only exist once its script has loaded `/api/list.json`; it also asks for assets. */
const LIST = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>快讯</title>
<link rel="stylesheet" href="/assets/site.css">
<style>@font-face { font-family: Brand; src: url(/assets/brand.woff2) format("woff2"); } body { font-family: Brand; }</style>
</head><body><img src="/assets/logo.png" alt="logo"><ul id="list"></ul><video src="/assets/clip.mp4" autoplay muted></video>
<script>
fetch('/api/list.json').then((r) => r.json()).then((data) => {
  const ul = document.getElementById('list');
  for (const it of data.items) {
    const li = document.createElement('li');
    li.innerHTML = '<img src="/assets/thumb-' + it.id + '.jpg"><a class="t" href="' + it.url + '">' + it.title + '</a>';
    ul.appendChild(li);
  }
});
</script></body></html>`;
/** A page whose script, once loaded, never yields again: its renderer stops answering the browser. */
const SPIN = '<a class=x href=/a>a</a><script>setTimeout(()=>{while(true){}},50)</script>';
const JSON_LIST = JSON.stringify({
  items: [
    { id: 1, url: '/a/1.html', title: '央行开展逆回购操作' },
    { id: 2, url: '/a/2.html', title: '沪指收涨0.8%' },
  ],
});

/** Chromium processes below this (test) process: the pool's browser and its helpers (zombies have exited). */
async function ownChromium(): Promise<ProcInfo[]> {
  return descendants(process.pid, await listProcs()).filter((p) => /chrom/i.test(p.comm) && p.state !== 'Z');
}

describe.skipIf(!existsSync(CHROMIUM))('browser pool (system Chromium at /usr/bin/chromium)', () => {
  let srv: TestServer;
  let pool: BrowserPool;
  let inFlight = 0;
  let peak = 0;
  beforeAll(async () => {
    srv = await startTestServer({
      '/list.html': send(LIST),
      '/api/list.json': send(JSON_LIST, { 'content-type': 'application/json' }),
      '/plain.html': send('<html><body><p id="x">你好</p></body></html>'),
      '/never.html': send('<html><body><p>没有列表</p></body></html>'),
      '/gone.html': send('<html><body>gone</body></html>', {}, 404),
      '/slow.html': async (_req, res) => {
        peak = Math.max(peak, ++inFlight);
        await delay(300);
        inFlight--;
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>慢</body></html>');
      },
      '/redirect.html': (_req, res) => {
        res.writeHead(302, { location: srv.url('/secret.html') }).end();
      },
      '/secret.html': send('<html><body>内部数据</body></html>'),
      '/mixed.html': (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            `<html><body><p id="done">公开页面</p><script>fetch('${srv.url('/api/private.json')}').catch(() => {});</script></body></html>`,
          );
      },
      '/api/private.json': send('{"secret":1}', { 'content-type': 'application/json' }),
      '/spin.html': send(SPIN),
    });
    pool = createBrowserPool({ executablePath: CHROMIUM, maxPages: 2, log });
  });
  afterAll(async () => {
    await pool?.close();
    await srv?.close();
  });

  it('renders a scripted list and blocks images, fonts, media and stylesheets before they reach the server', async () => {
    const page = await pool.render(srv.url('/list.html'), { waitForSelector: '#list a.t', allowPrivate: true });
    expect(page.status).toBe(200);
    expect(page.finalUrl).toBe(srv.url('/list.html'));
    expect(page.html).toContain('央行开展逆回购操作');
    expect(page.html).toContain('href="/a/2.html"');
    const asked = srv.requests.map((r) => r.url ?? '');
    expect(asked).toContain('/api/list.json');
    expect(asked.filter((u) => u.startsWith('/assets/'))).toEqual([]);
    expect(pool.stats().blockedRequests).toBeGreaterThanOrEqual(3);
  });

  it('sends source headers and the user agent to the page origin', async () => {
    const before = srv.requests.length;
    await pool.render(srv.url('/plain.html'), {
      allowPrivate: true,
      userAgent: 'finrep-test/1',
      headers: { 'X-Token': 'abc' },
    });
    const req = srv.requests.slice(before).find((r) => r.url === '/plain.html')!;
    expect(req.headers['user-agent']).toBe('finrep-test/1');
    expect(req.headers['x-token']).toBe('abc');
  });

  it('renders at most maxPages pages at once', async () => {
    peak = 0;
    await Promise.all(Array.from({ length: 3 }, () => pool.render(srv.url('/slow.html'), { allowPrivate: true })));
    expect(peak).toBeLessThanOrEqual(2);
    expect(pool.stats().inFlight).toBe(0);
  });

  it.each([
    {
      name: 'a selector that never appears',
      path: '/never.html',
      opts: { waitForSelector: '#list a', timeoutMs: 1500 },
      code: 'timeout',
    },
    { name: 'an HTTP error status', path: '/gone.html', opts: {}, code: 'http_status' },
  ])('fails with a FetchError on $name', async ({ path, opts, code }) => {
    const err = await pool.render(srv.url(path), { allowPrivate: true, ...opts }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).code).toBe(code);
  });

  it.each([
    { name: 'a file URL', url: 'file:///etc/passwd', code: 'bad_url' },
    { name: 'a loopback target without allowPrivate', url: '', code: 'private_address' },
  ])('refuses $name before the browser sees it', async ({ url, code }) => {
    const before = srv.requests.length;
    const err = await pool.render(url || srv.url('/secret.html')).catch((e: unknown) => e);
    expect((err as FetchError).code).toBe(code);
    expect(srv.requests.length).toBe(before);
  });

  it('refuses a public page that redirects to a private address, and private sub-resources of a public page', async () => {
    // The guard believes public.test is public (93.184.216.34); the proxy's connection to that address is
    // sent to the local server, as the internet would carry it.
    const port = Number(new URL(srv.url()).port);
    const guarded = createBrowserPool({
      executablePath: CHROMIUM,
      maxPages: 1,
      log,
      lookup: async () => ['93.184.216.34'],
      dial: (address, p) => (address === '93.184.216.34' ? { host: '127.0.0.1', port } : { host: address, port: p }),
    });
    try {
      const err = await guarded.render('http://public.test/redirect.html').catch((e: unknown) => e);
      expect((err as FetchError).code).toBe('private_address');
      // The hop itself never left: the proxy refused it.
      expect(srv.requests.map((r) => r.url)).not.toContain('/secret.html');
      const list = await guarded.render('http://public.test/list.html', {
        waitForSelector: '#list a.t',
        timeoutMs: 5000,
      });
      expect(list.html).toContain('沪指收涨0.8%');
      // A public page's request to a private address goes missing; the page itself still renders.
      const mixed = await guarded.render('http://public.test/mixed.html');
      expect(mixed.html).toContain('公开页面');
      expect(srv.requests.map((r) => r.url)).not.toContain('/api/private.json');
    } finally {
      await guarded.close();
    }
  });

  it('connects to the address the guard checked, not to what Chromium or the system would resolve (DNS rebinding)', async () => {
    // Chromium's own resolver maps rebind.test to the local server (127.0.0.1), as a rebinding DNS answer
    // would; the guard resolves it to a public address, which the proxy reaches (here: a second server).
    const checked = await startTestServer({
      '/secret.html': send('<html><body><p id="pub">公开服务器</p></body></html>'),
    });
    const port = Number(new URL(srv.url()).port);
    const pool = createBrowserPool({
      executablePath: CHROMIUM,
      maxPages: 1,
      log,
      lookup: async () => ['93.184.216.34'],
      dial: () => ({ host: '127.0.0.1', port: Number(new URL(checked.url()).port) }),
      extraArgs: [`--host-resolver-rules=MAP rebind.test 127.0.0.1:${port}`],
    });
    try {
      const before = srv.requests.length;
      const page = await pool.render(`http://rebind.test:${port}/secret.html`);
      expect(page.html).toContain('公开服务器');
      expect(page.html).not.toContain('内部数据');
      expect(srv.requests.length).toBe(before);
      expect(checked.requests.map((r) => [r.url, r.headers.host])).toEqual([['/secret.html', `rebind.test:${port}`]]);
    } finally {
      await pool.close();
      await checked.close();
    }
  });

  it('relaunches after recycleAfterPages pages, and after the browser dies', async () => {
    const small = createBrowserPool({
      executablePath: CHROMIUM,
      maxPages: 1,
      recycleAfterPages: 2,
      maxRssMb: 4096,
      log,
    });
    try {
      for (let i = 0; i < 3; i++) await small.render(srv.url('/plain.html'), { allowPrivate: true });
      expect(small.stats()).toMatchObject({ launches: 2, recycles: 1, pagesRendered: 3 });
      expect(small.stats().memoryMb).toBeGreaterThan(10);
      const pid = small.stats().browserPid!;
      expect(pid).toBeGreaterThan(0);
      const crashed = (await ownChromium()).filter((p) => p.pid === pid || p.ppid === pid);
      process.kill(pid, 'SIGKILL');
      await delay(300);
      const page = await small.render(srv.url('/plain.html'), { allowPrivate: true });
      expect(page.html).toContain('你好');
      expect(small.stats().launches).toBe(3);
      await small.close();
      // The crashed browser's helpers were reaped too.
      expect(await stillAlive(crashed)).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('relaunches once the browser holds more than maxRssMb after a page', async () => {
    const capped = createBrowserPool({ executablePath: CHROMIUM, maxPages: 1, maxRssMb: 1, log });
    try {
      for (let i = 0; i < 2; i++) await capped.render(srv.url('/plain.html'), { allowPrivate: true });
      expect(capped.stats()).toMatchObject({ launches: 2, recycles: 2, pagesRendered: 2 });
    } finally {
      await capped.close();
    }
  });

  it('closes an idle browser with all its processes, and launches a fresh one for the next page', async () => {
    const idle = createBrowserPool({ executablePath: CHROMIUM, maxPages: 2, idleCloseMs: 300, log });
    try {
      const before = new Set((await ownChromium()).map((p) => p.pid));
      await idle.render(srv.url('/plain.html'), { allowPrivate: true });
      const pid = idle.stats().browserPid!;
      const running = (await ownChromium()).filter((p) => !before.has(p.pid));
      expect(running.map((p) => p.pid)).toContain(pid);
      await vi.waitFor(async () => expect(await stillAlive(running)).toEqual([]), { timeout: 30_000, interval: 100 });
      expect(idle.stats().browserPid).toBeNull();
      const page = await idle.render(srv.url('/plain.html'), { allowPrivate: true });
      expect(page.html).toContain('你好');
      expect(idle.stats()).toMatchObject({ launches: 2, pagesRendered: 2 });
    } finally {
      await idle.close();
    }
  });

  it('ends a render whose page never yields by its deadline, kills that browser, and renders the next page afresh', async () => {
    const before = new Set((await ownChromium()).map((p) => p.pid));
    const p = createBrowserPool({ executablePath: CHROMIUM, maxPages: 2, log });
    try {
      // Another render in flight on the same browser: it must fail with the reason, not wait out its 60 s.
      const bystander = p
        .render(srv.url('/never.html'), { allowPrivate: true, waitForSelector: '#list a', timeoutMs: 60_000 })
        .catch((e: unknown) => e);
      const err = await p
        .render(srv.url('/spin.html'), { allowPrivate: true, timeoutMs: 2000 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FetchError);
      expect((err as FetchError).code).toBe('timeout');
      expect((err as Error).message).toBe(
        `timeout rendering ${srv.url('/spin.html')}: the page stopped answering ` +
          '(a script that never yields?) and was not done after 2000 ms; its browser was killed',
      );
      const other = await bystander;
      expect(other).toBeInstanceOf(FetchError);
      expect((other as Error).message).toBe(
        `rendering ${srv.url('/never.html')} failed: its browser was killed because ${srv.url('/spin.html')} stopped answering`,
      );
      const page = await p.render(srv.url('/plain.html'), { allowPrivate: true });
      expect(page.html).toContain('你好');
      expect(p.stats()).toMatchObject({ launches: 2, recycles: 1, inFlight: 0 });
    } finally {
      await p.close();
    }
    expect((await ownChromium()).filter((proc) => !before.has(proc.pid))).toEqual([]);
  }, 90_000);

  it('leaves no Chromium process behind after close()', async () => {
    const before = new Set((await ownChromium()).map((p) => p.pid));
    const p = createBrowserPool({ executablePath: CHROMIUM, maxPages: 2, log });
    await Promise.all([
      p.render(srv.url('/plain.html'), { allowPrivate: true }),
      p.render(srv.url('/list.html'), { allowPrivate: true }),
    ]);
    const running = (await ownChromium()).filter((proc) => !before.has(proc.pid));
    expect(running.length).toBeGreaterThanOrEqual(2);
    await p.close();
    // Zygotes are reparented to init when the browser exits: follow the pids, not only the tree.
    expect(await stillAlive(running)).toEqual([]);
    expect((await ownChromium()).filter((proc) => !before.has(proc.pid))).toEqual([]);
    await expect(p.render(srv.url('/plain.html'), { allowPrivate: true })).rejects.toThrow(/closed/);
  });
});

describe('browser pool without Chromium', () => {
  it('says where it looked and what to do', async () => {
    const pool = createBrowserPool({ executablePath: '/nonexistent/chromium', maxPages: 1, log });
    const err = await pool.render('http://127.0.0.1:9/', { allowPrivate: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectError);
    expect((err as Error).message).toBe(
      'Chromium not found at /nonexistent/chromium (CHROMIUM_PATH); install the chromium package or disable dynamic sources',
    );
    await pool.close();
  });

  it('wraps a failed launch in a CollectError', async () => {
    const pool = createBrowserPool({ executablePath: '/bin/false', maxPages: 1, log, launchTimeoutMs: 5000 });
    const err = await pool.render('http://127.0.0.1:9/', { allowPrivate: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectError);
    expect((err as Error).message).toMatch(/^Chromium at \/bin\/false failed to launch: /);
    await pool.close();
  });
});
