/**
 * Sign-in in a real Chromium against the real server on 127.0.0.1: password, password + TOTP, sign-out,
 * TOTP enrolment; nothing overflows a 375 px phone and the CSP blocks nothing the pages need.
 * Screenshots go to FINREP_SCREENSHOTS (e.g. docs/screenshots) when set. Skipped without Chromium.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from '../src/web/auth/totp.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, startTestServer, webConfig } from './helpers/web.ts';

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
const PASSWORD = 'correct horse battery';
const SHOTS = process.env.FINREP_SCREENSHOTS
  ? path.resolve(process.env.FINREP_SCREENSHOTS)
  : mkdtempSync(path.join(tmpdir(), 'finrep-shots-'));

describe.skipIf(!existsSync(CHROMIUM))(`web sign-in in Chromium (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  // One TOTP user per width: a code is accepted once, and both widths may fall in the same 30 s step.
  const totpSecret: Record<number, string> = {};

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    for (const w of [1280, 375])
      totpSecret[w] = (
        await addUser(database.db, `totp${w}@example.com`, 'admin', PASSWORD, { totp: true })
      ).totpSecret!;
    ({ app, base } = await startTestServer(database.db, webConfig()));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  /** A fresh page at `width` that records CSP violations and script errors. */
  async function open(width: number, locale = 'zh-CN'): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 800 }, locale, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      // An answer's 4xx status (a wrong code is a 401) is logged too: only refusals by the CSP count here.
      if (
        m.type() === 'error' &&
        !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())
      )
        problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    return { page, problems };
  }

  async function fits(page: Page, width: number) {
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scroll).toBeLessThanOrEqual(width);
  }

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  for (const width of [1280, 375]) {
    it(`signs in with a password and signs out (${width} px)`, async () => {
      const { page, problems } = await open(width);
      await page.goto(`${base}/login`);
      expect(await page.locator('h1').textContent()).toBe('登录');
      await fits(page, width);
      await shot(page, `web-login-${width}`);
      await page.fill('input[name=email]', 'admin@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
      // Signed in: the dashboard, and the header names the user.
      expect(await page.locator('main h1').textContent()).toBe('概览');
      expect(await page.locator('header button[type=submit]').getAttribute('title')).toContain('admin@example.com');
      await fits(page, width);
      await Promise.all([page.waitForURL(/\/login\?out=1$/), page.click('header button[type=submit]')]);
      expect(await page.locator('.notice.info').textContent()).toBe('已退出登录。');
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(problems).toEqual([]);
      await page.context().close();
    });

    it(`signs in with a password and a TOTP code (${width} px)`, async () => {
      const { page, problems } = await open(width);
      await page.goto(`${base}/login`);
      await page.fill('input[name=email]', `totp${width}@example.com`);
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(/\/login\/2fa/), page.click('button[type=submit]')]);
      await fits(page, width);
      // A wrong code first: the page says so and stays.
      await page.fill('input[name=code]', '000000');
      await page.click('button[type=submit]');
      expect(await page.locator('.notice.error').textContent()).toBe('验证码不正确或已过期。');
      await shot(page, `web-2fa-${width}`);
      await page.fill('input[name=code]', currentTotp(totpSecret[width]!));
      await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
      expect(await page.locator('header button[type=submit]').getAttribute('title')).toContain(
        `totp${width}@example.com`,
      );
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it('enrols a second factor from the QR page, in English (375 px)', async () => {
    const { page, problems } = await open(375, 'en-US');
    await page.goto(`${base}/login`);
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await page.fill('input[name=email]', 'viewer@example.com');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
    await page.goto(`${base}/account/2fa`);
    // The QR code is an image drawn on the server (no script): it loaded under the CSP.
    const qr = page.locator('img.qr');
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await fits(page, 375);
    await shot(page, 'web-2fa-enrol-375');
    const secret = (await page.locator('code.secret').textContent())!.replace(/ /g, '');
    await page.fill('input[name=code]', currentTotp(secret));
    await Promise.all([page.waitForURL(/\/account\?enrolled=1$/), page.click('form[action="/account/2fa"] button')]);
    expect(await page.locator('.notice.info').textContent()).toBe('Two-step verification is on.');
    // Switch to Chinese with the header link: remembered by a cookie.
    await page.click('a.lang');
    expect(await page.locator('h1').textContent()).toBe('账户');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
