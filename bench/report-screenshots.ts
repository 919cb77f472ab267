/**
 * `npx tsx bench/report-screenshots.ts DIR`: screenshots of an edition's stored email (`DIR/email.html`,
 * e.g. `data/reports/2025-11-10`) as Chromium lays it out at 375 px (a phone) and 800 px, written to
 * docs/screenshots/email-375.png and email-800.png. The `cid:` images are swapped for the edition's
 * stored PNGs, as a mail client would show them. Prints each width's layout checks.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { readInlineImages } from '../src/report/build.ts';

const dir = process.argv[2];
if (!dir || !existsSync(path.join(dir, 'email.html'))) {
  process.stderr.write(
    'usage: tsx bench/report-screenshots.ts DIR  (DIR holds email.html, e.g. data/reports/2025-11-10)\n',
  );
  process.exit(2);
}
const out = path.resolve(process.argv[3] ?? 'docs/screenshots');
mkdirSync(out, { recursive: true });

let html = readFileSync(path.join(dir, 'email.html'), 'utf8');
for (const img of await readInlineImages(dir)) {
  html = html.replaceAll(`cid:${img.cid}`, `data:${img.contentType};base64,${img.content.toString('base64')}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  for (const width of [375, 800]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.setContent(html, { waitUntil: 'load' });
    const check = await page.evaluate(
      (w) => ({
        scrollWidth: document.documentElement.scrollWidth,
        height: document.documentElement.scrollHeight,
        links: document.querySelectorAll('a[href^="http"]').length,
        overflowing: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5)
          .length,
        images: [...document.querySelectorAll('img')].map(
          (i) => `${i.naturalWidth > 0 ? 'loaded' : 'MISSING'} ${Math.round(i.getBoundingClientRect().width)}px`,
        ),
      }),
      width,
    );
    const file = path.join(out, `email-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    await page.close();
    process.stdout.write(`${path.relative(process.cwd(), file)}: ${JSON.stringify(check)}\n`);
  }
} finally {
  await browser.close();
}
