/**
 * The email and the web view laid out by a real Chromium at phone and desktop widths: nothing overflows,
 * every story link is visible, and the web view's CSP blocks nothing it needs. Skipped without Chromium.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportModel } from '../domain.ts';
import { renderCharts } from './charts.ts';
import { renderEmailHtml, renderWebView } from './index.ts';
import { fixtureModel } from './testdata/model.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe.skipIf(!existsSync(CHROMIUM))('layout in Chromium', () => {
  let browser: Browser;
  /** The fixture with its real charts. */
  let charted: ReportModel;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const model = fixtureModel();
    charted = { ...model, charts: (await renderCharts(model)).map(({ png: _png, svg: _svg, ...c }) => c) };
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function layout(html: string, width: number) {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.setContent(html, { waitUntil: 'load' });
    const result = await page.evaluate(() => {
      const links = [...document.querySelectorAll('td a[href^="http"]')].map((a) => {
        const r = a.getBoundingClientRect();
        const style = getComputedStyle(a);
        return { right: r.right, width: r.width, height: r.height, color: style.color };
      });
      const images = [...document.querySelectorAll('img')].map((img) => {
        const r = img.getBoundingClientRect();
        return {
          loaded: img.complete && img.naturalWidth > 0,
          left: r.left,
          top: r.top,
          right: r.right,
          width: r.width,
          height: r.height,
        };
      });
      return { scrollWidth: document.documentElement.scrollWidth, links, images };
    });
    await page.close();
    return { ...result, violations };
  }

  for (const width of [375, 800]) {
    it(`email fits ${width} px and shows every link`, async () => {
      const r = await layout(
        await renderEmailHtml(fixtureModel(), {
          recipientName: '李明',
          unsubscribeUrl: 'https://finrep.example.com/u',
        }),
        width,
      );
      expect(r.scrollWidth).toBeLessThanOrEqual(width);
      expect(r.links.length).toBeGreaterThan(20);
      for (const l of r.links) {
        expect(l.width).toBeGreaterThan(0);
        expect(l.height).toBeGreaterThan(0);
        expect(l.right).toBeLessThanOrEqual(width);
        expect(l.color).toBe('rgb(11, 79, 156)');
      }
    });
  }

  it('email charts sit side by side at 800 px and stack, scaled, on a 375 px phone', async () => {
    const p = { recipientName: null, unsubscribeUrl: null };
    const wide = await layout(await renderEmailHtml(charted, p, { images: 'data' }), 800);
    expect(wide.images.map((i) => i.loaded)).toEqual([true, true]);
    expect(wide.images.map((i) => Math.round(i.width))).toEqual([200, 340]);
    expect(wide.images[0]!.top).toBe(wide.images[1]!.top);
    const phone = await layout(await renderEmailHtml(charted, p, { images: 'data' }), 375);
    expect(phone.scrollWidth).toBeLessThanOrEqual(375);
    const [donut, bars] = phone.images;
    expect(bars!.top).toBeGreaterThan(donut!.top + donut!.height - 1);
    expect(bars!.right).toBeLessThanOrEqual(375);
    expect(bars!.width).toBeLessThan(340);
    expect(bars!.height / bars!.width).toBeCloseTo(charted.charts![1]!.height / 340, 2);
  });

  it('web view fits a phone, shows its charts, and its CSP blocks nothing', async () => {
    const r = await layout(await renderWebView(charted), 375);
    expect(r.scrollWidth).toBeLessThanOrEqual(375);
    expect(r.violations).toEqual([]);
    expect(r.images.map((i) => i.loaded)).toEqual([true, true]);
  });

  it('web view without charts fits a phone and its CSP blocks nothing', async () => {
    const r = await layout(await renderWebView(fixtureModel()), 375);
    expect(r.scrollWidth).toBeLessThanOrEqual(375);
    expect(r.violations).toEqual([]);
  });
});
