/**
 * `/api/docs`: the API's documentation page, drawn from the app's own OpenAPI document, on the real server.
 * It lists every /api/v1 route of the route table with its access, is closed without credentials like
 * /api/docs/json, and in the system Chromium runs no script, breaks no CSP rule and fits a 375 px phone.
 * Screenshots go to FINREP_SCREENSHOTS (e.g. docs/screenshots) when set.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/db/queries/api-tokens.ts';
import { newApiToken } from '../src/web/auth/api-tokens.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const PASSWORD = 'correct horse battery';
const SHOTS = process.env.FINREP_SCREENSHOTS
  ? path.resolve(process.env.FINREP_SCREENSHOTS)
  : mkdtempSync(path.join(tmpdir(), 'finrep-shots-'));

const decode = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe(`API documentation page /api/docs (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let viewerToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    const t = newApiToken();
    await createApiToken(database.db, {
      name: 'docs',
      role: 'viewer',
      tokenHash: t.hash,
      prefix: t.prefix,
      createdBy: 'test',
    });
    viewerToken = t.token;
    ({ app, base } = await startTestServer(database.db, webConfig()));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('is closed like /api/docs/json: without credentials a redirect to the sign-in page', async () => {
    const anon = new Client(base);
    const r = await anon.get('/api/docs');
    expect(r.status).toBe(302);
    expect(r.location).toBe('/login?next=%2Fapi%2Fdocs');
    expect(app.routeTable.find((e) => e.url === '/api/docs')?.auth).toBe(
      app.routeTable.find((e) => e.url === '/api/docs/json')?.auth,
    );
  });

  it('lists every /api/v1 route of the route table with its role, parameters and body fields', async () => {
    const c = new Client(base);
    expect((await c.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
    const page = await c.get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    // No inline script: only the console's own files from /static/ (the CSP allows nothing else).
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc="\/static\/[\w.-]+\.js")/i);
    const html = decode(page.text);
    const api = app.routeTable.filter((r) => r.url.startsWith('/api/v1') && r.method !== 'HEAD');
    expect(api.length).toBeGreaterThanOrEqual(14);
    for (const r of api) {
      const docPath = r.url.replace(/:(\w+)/g, '{$1}');
      const id = `${r.method}-${docPath}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      const m = new RegExp(`<article id="${id}"[\\s\\S]*?</article>`).exec(page.text);
      expect(m, `${r.method} ${r.url} on the page`).not.toBeNull();
      const article = decode(m![0]);
      expect(article).toContain(`>${r.method}</span>`);
      expect(article).toContain(docPath);
      expect(article).toContain(`class="tag role-${r.auth}"`);
    }
    // The request body of a source is spelled out field by field from the CLI's schema.
    const post = decode(/<article id="post-api-v1-sources"[\s\S]*?<\/article>/.exec(page.text)![0]);
    for (const field of ['kind', 'name', 'url', 'rules']) expect(post).toContain(`>${field}</code>`);
    expect(html).toContain('/api/docs/json');
    // A bearer token of the viewer role reads it too; English on request.
    const en = await fetch(`${base}/api/docs?lang=en`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(en.status).toBe(200);
    expect(await en.text()).toContain('API documentation');
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'renders in Chromium without script or CSP errors, fits 1280 and 375 px',
    async () => {
      mkdirSync(SHOTS, { recursive: true });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
      try {
        for (const width of [1280, 375]) {
          const context = await browser.newContext({
            viewport: { width, height: 800 },
            locale: 'zh-CN',
            deviceScaleFactor: 1,
          });
          const page = await context.newPage();
          const problems: string[] = [];
          page.on('console', (m) => {
            // The browser's own favicon request is not the page's.
            if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) problems.push(m.text());
          });
          page.on('pageerror', (e) => problems.push(e.message));
          await page.goto(`${base}/login?next=/api/docs`);
          await page.fill('input[name=email]', 'viewer@example.com');
          await page.fill('input[name=password]', PASSWORD);
          await Promise.all([page.waitForURL(`${base}/api/docs`), page.click('button[type=submit]')]);
          await expect(page.locator('h1').textContent()).resolves.toContain('API 文档');
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
          expect(problems).toEqual([]);
          await page.screenshot({ path: path.join(SHOTS, `web-api-docs-${width}.png`), fullPage: true });
          await context.close();
        }
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
