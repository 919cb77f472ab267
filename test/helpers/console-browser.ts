/**
 * The console in the system Chromium, for the page tests of every area: a signed-in browser page at a width
 * and language, that records script errors and CSP refusals; a check that nothing overflows the viewport; a
 * screenshot into FINREP_SCREENSHOTS (e.g. `docs/screenshots`, else a temporary folder); and whether a chart
 * has drawn (a non-empty canvas).
 * @example
 * const b = await openConsoleBrowser(base, 'admin@example.com', PASSWORD);
 * const { page, problems } = await b.open(375);
 * await page.goto(`${base}/sources`); await b.shot(page, 'sources-375'); await b.fits(page, 375);
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Whether the system Chromium is here (tests `describe.skipIf(!HAS_CHROMIUM)`). */
export const HAS_CHROMIUM = existsSync(CHROMIUM);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const SHOTS = process.env.FINREP_SCREENSHOTS
  ? path.resolve(process.env.FINREP_SCREENSHOTS)
  : mkdtempSync(path.join(tmpdir(), 'finrep-shots-'));

export interface ConsoleBrowser {
  browser: Browser;
  /** A fresh page at `width`, signed in (unless `signedIn: false`), in `locale`. */
  open(
    width: number,
    opts?: { locale?: string; signedIn?: boolean },
  ): Promise<{ page: Page; context: BrowserContext; problems: string[] }>;
  /** A full-page screenshot `<name>.png` in SHOTS. */
  shot(page: Page, name: string): Promise<string>;
  /** Nothing wider than the viewport (the page does not scroll sideways). */
  overflow(page: Page): Promise<number>;
  /** How many `[data-chart]` canvases have something drawn on them (waits up to `timeoutMs` for `want`). */
  drawnCharts(page: Page, want?: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** Launches Chromium and signs `email` in through the real login form once; every `open` reuses its cookies. */
export async function openConsoleBrowser(base: string, email: string, password: string): Promise<ConsoleBrowser> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const first = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await first.newPage();
  await p.goto(`${base}/login`);
  await p.fill('input[name=email]', email);
  await p.fill('input[name=password]', password);
  await Promise.all([p.waitForURL((u) => !u.pathname.startsWith('/login')), p.click('button[type=submit]')]);
  const cookies = await first.cookies();
  await first.close();

  return {
    browser,
    async open(width, opts = {}) {
      const context = await browser.newContext({
        viewport: { width, height: 800 },
        locale: opts.locale ?? 'zh-CN',
        deviceScaleFactor: 1,
      });
      if (opts.signedIn !== false) await context.addCookies(cookies);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (
          m.type() === 'error' &&
          !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())
        )
          problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      return { page, context, problems };
    },
    async shot(page, name) {
      const file = path.join(SHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    overflow: (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    async drawnCharts(page, want = 1, timeoutMs = 10_000) {
      const count = () =>
        page.evaluate(
          () =>
            [...document.querySelectorAll('[data-chart] canvas')].filter((c) => {
              const canvas = c as HTMLCanvasElement;
              const g = canvas.getContext('2d');
              if (!g || canvas.width === 0 || canvas.height === 0) return false;
              const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
              for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
              return false;
            }).length,
        );
      const until = Date.now() + timeoutMs;
      let n = await count();
      while (n < want && Date.now() < until) {
        await page.waitForTimeout(200);
        n = await count();
      }
      return n;
    },
    close: () => browser.close(),
  };
}
