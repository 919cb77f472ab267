/**
 * The console's articles pages in the system Chromium: the company's sentiment trend and the word cloud draw
 * (non-empty canvases), a click on the word cloud's heaviest word searches the articles for it, nothing
 * overflows at 375 px, hostile titles stay text, and screenshots of each page at 1280 and 375 px.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedArticles } from './helpers/articles-seed.ts';
import type { SeededArticles } from './helpers/articles-seed.ts';
import { HAS_CHROMIUM, openConsoleBrowser } from './helpers/console-browser.ts';
import type { ConsoleBrowser } from './helpers/console-browser.ts';
import { createTestDatabase } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery staple 9';
let db: TestDatabase;
let app: FastifyInstance;
let base: string;
let seeded: SeededArticles;
let b: ConsoleBrowser;

describe.skipIf(!HAS_CHROMIUM)('articles pages in Chromium', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    seeded = await seedArticles(db.db);
    await addUser(db.db, 'viewer@example.com', 'viewer', PASSWORD);
    ({ app, base } = await startTestServer(db.db, webConfig({ TZ: 'Asia/Shanghai' })));
    b = await openConsoleBrowser(base, 'viewer@example.com', PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await app?.close();
    await db?.drop();
  });

  for (const width of [1280, 375]) {
    it(`draws the company trend and the word cloud at ${width} px; a word opens its articles`, async () => {
      const { page, context, problems } = await b.open(width);
      const pages: [string, string][] = [
        ['articles', `/articles?q=${encodeURIComponent('降准')}`],
        ['story', `/stories/${seeded.stories.hostile}`],
      ];
      for (const [name, url] of pages) {
        await page.goto(`${base}${url}`);
        expect(await page.locator('h1').count()).toBe(1);
        expect(await b.overflow(page), name).toBeLessThanOrEqual(0);
        await b.shot(page, `console-articles-${name}-${width}`);
      }
      // Hostile text stays text: no element of it, no dialog.
      expect(await page.locator('main script, main img').count()).toBe(0);

      await page.goto(`${base}/companies/600519.SH`);
      expect(await b.drawnCharts(page, 1)).toBe(1);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-articles-company-${width}`);

      await page.goto(`${base}/words?days=30`);
      await page.waitForSelector('.wordcloud[data-state="drawn"]', { timeout: 15_000 });
      const painted = await page.evaluate(() => {
        const c = document.querySelector('.wordcloud canvas') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
        return n;
      });
      expect(painted).toBeGreaterThan(500);
      expect(Number(await page.getAttribute('.wordcloud', 'data-placed'))).toBeGreaterThanOrEqual(5);
      expect(await b.overflow(page)).toBeLessThanOrEqual(0);
      await b.shot(page, `console-articles-words-${width}`);
      // The heaviest word (降准, 3 stories) is placed first, at the centre: find a point on its strokes by
      // hovering (the page titles the canvas with the word under the pointer), then click there.
      const box = (await page.locator('.wordcloud canvas').boundingBox())!;
      const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
      let hit: [number, number] | null = null;
      for (let dy = -36; dy <= 36 && !hit; dy += 6)
        for (let dx = -90; dx <= 90 && !hit; dx += 6) {
          await page.mouse.move(cx + dx, cy + dy);
          if ((await page.getAttribute('.wordcloud canvas', 'title'))?.startsWith('降准 ')) hit = [cx + dx, cy + dy];
        }
      expect(hit).not.toBeNull();
      await Promise.all([page.waitForURL((u) => u.pathname === '/articles'), page.mouse.click(hit![0], hit![1])]);
      expect(new URL(page.url()).searchParams.get('q')).toBe('降准');
      expect(await page.inputValue('input[name=q]')).toBe('降准');
      expect(await page.locator('table.data tbody tr').count()).toBe(4);
      expect(problems).toEqual([]);
      await context.close();
    });
  }

  it('draws a crowded word cloud on a phone to the end: words that fit nowhere are left out', async () => {
    const { page, context, problems } = await b.open(375);
    // Eighty words, a few long ones: at 375 px some fit nowhere even at the smallest size.
    const words = Array.from({ length: 80 }, (_, i) => ({
      word: i % 9 === 0 ? `中华人民共和国国家金融监督管理总局${i}` : `关键词${i}`,
      stories: 80 - i,
    }));
    await page.route('**/words/keywords**', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify({ words }) }),
    );
    await page.goto(`${base}/words`);
    await page.waitForSelector('.wordcloud[data-state="drawn"]', { timeout: 30_000 });
    expect(Number(await page.getAttribute('.wordcloud', 'data-placed'))).toBeGreaterThanOrEqual(20);
    expect(await b.overflow(page)).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
