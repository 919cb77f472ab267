/**
 * Threats of docs/security.md that no other test covered: redirects after sign-in that leave the site,
 * the security headers behind https, request body limits, what a server error tells the caller, and
 * hostile source files an operator might import (YAML alias bombs, OPML with a DTD). On the real server
 * over HTTP on 127.0.0.1, and the real parsers.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/db/queries/api-tokens.ts';
import { parseSourcesFile } from '../src/collect/source-files.ts';
import { newApiToken } from '../src/web/auth/api-tokens.ts';
import { ROUTES } from '../src/web/routes/index.ts';
import type { WebRoute } from '../src/web/server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const LEAK = 'postgresql://finrep:s3cr3t-in-an-error@db:5432/finrep';

/** A route that fails the way a bug would: an error whose message carries a secret. */
const failing: WebRoute = (app) => {
  for (const url of ['/test/boom', '/api/v1/test/boom'])
    app.get(url, async () => {
      throw new Error(`cannot connect to ${LEAK}`);
    });
};

describe(`web edges (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let adminToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    const t = newApiToken();
    await createApiToken(database.db, {
      name: 'bot',
      role: 'admin',
      tokenHash: t.hash,
      prefix: t.prefix,
      createdBy: 'test',
    });
    adminToken = t.token;
    ({ app, base } = await startTestServer(database.db, webConfig({ PUBLIC_BASE_URL: 'https://finrep.example.com' }), [
      ...ROUTES,
      failing,
    ]));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it.each([
    { name: 'another site', next: 'https://evil.example/' },
    { name: 'a protocol-relative URL', next: '//evil.example/x' },
    { name: 'a backslash', next: '/\\evil.example/x' },
    { name: 'a tab that browsers drop (/\\t/ → //)', next: '/\t/evil.example/x' },
    { name: 'a newline that browsers drop', next: '/\n/evil.example/x' },
    { name: 'a javascript: URL', next: 'javascript:alert(document.cookie)' },
  ])('sign-in never redirects off the site: $name', async ({ next }) => {
    const c = new Client(base);
    const token = await c.csrf('/login');
    const r = await c.post('/login', { _csrf: token, email: 'admin@example.com', password: PASSWORD, next });
    expect(r.status).toBe(303);
    // Resolved as a browser resolves it: the same origin.
    expect(new URL(r.location!, 'https://finrep.example.com/login').origin).toBe('https://finrep.example.com');
    // The GET form (a signed-in user sent to /login?next=…) too.
    const again = await c.get(`/login?next=${encodeURIComponent(next)}`);
    expect(new URL(again.location!, 'https://finrep.example.com/login').origin).toBe('https://finrep.example.com');
  });

  it('an API token past its expiry is no credential; one before it is', async () => {
    const make = async (name: string, expiresAt: Date) => {
      const t = newApiToken();
      await createApiToken(database.db, {
        name,
        role: 'viewer',
        tokenHash: t.hash,
        prefix: t.prefix,
        createdBy: 'test',
        expiresAt,
      });
      return new Client(base, { authorization: `Bearer ${t.token}` });
    };
    const expired = await make('expired', new Date(Date.now() - 1000));
    const live = await make('live', new Date(Date.now() + 86_400_000));
    expect((await expired.get('/api/v1/sources')).status).toBe(401);
    expect((await live.get('/api/v1/sources')).status).toBe(200);
  });

  it('behind https: HSTS, nosniff, no framing, a strict referrer policy, and a CSP on every page', async () => {
    const r = await new Client(base).get('/login');
    expect(r.headers.get('strict-transport-security')).toMatch(/max-age=31536000; includeSubDomains/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses bodies over the limits (1 MiB JSON, 64 KiB forms) with 413, before any handler', async () => {
    const big = JSON.stringify({ name: 'x', url: 'https://example.com/feed.xml', pad: 'x'.repeat(1024 * 1024) });
    const json = await fetch(`${base}/api/v1/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: big,
    });
    expect(json.status).toBe(413);
    const form = await new Client(base).post('/login', { email: 'admin@example.com', password: 'x'.repeat(70_000) });
    expect(form.status).toBe(413);
  });

  it('a server error tells the caller nothing but a request id (the message, with its secret, only in the log)', async () => {
    const admin = new Client(base, { authorization: `Bearer ${adminToken}` });
    const json = await admin.get('/api/v1/test/boom');
    expect(json.status).toBe(500);
    const body = JSON.parse(json.text) as { message: string; request_id: string };
    expect(body.message).toBe('internal server error');
    expect(body.request_id).toBe(json.headers.get('x-request-id'));
    const page = await admin.get('/test/boom', { accept: 'text/html' });
    expect(page.status).toBe(500);
    for (const text of [json.text, page.text]) {
      expect(text).not.toContain('s3cr3t');
      expect(text).not.toContain('postgresql://');
      expect(text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    }
  });
});

describe('hostile source files an operator might import', () => {
  it('refuses a YAML alias bomb at once, without expanding it', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const lines = [`a: &a [${Array(10).fill('"lol"').join(',')}]`];
    for (let i = 1; i < levels.length; i++)
      lines.push(
        `${levels[i]}: &${levels[i]} [${Array(10)
          .fill(`*${levels[i - 1]}`)
          .join(',')}]`,
      );
    lines.push(`sources: [*${levels.at(-1)}]`);
    const before = process.memoryUsage().rss;
    expect(() => parseSourcesFile(lines.join('\n'), 'yaml', 'bomb.yaml')).toThrow(/alias|resource exhaustion/i);
    // 10^8 strings would take gigabytes; nothing close to that was allocated.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('does not expand DTD entities in OPML: no billion laughs, no file read (XXE)', () => {
    const opml = `<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">
<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<opml version="2.0"><body>
<outline text="&xxe;" type="rss" xmlUrl="https://example.com/a.xml"/>
<outline text="&lol2;" type="rss" xmlUrl="https://example.com/b.xml"/>
</body></opml>`;
    const defs = parseSourcesFile(opml, 'opml', 'hostile.opml');
    expect(defs.map((d) => d.name)).toEqual(['&xxe;', '&lol2;']);
    expect(JSON.stringify(defs)).not.toContain('root:');
  });
});

describe(`behind nginx: which address the throttle sees (${TEST_DB})`, () => {
  let database: TestDatabase;
  const servers: FastifyInstance[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await database?.drop();
  });

  /** Six sign-ins from one real address (the last X-Forwarded-For entry, as nginx appends it), each
   * with a made-up address in front: the statuses. */
  async function spoofingBurst(trust: string): Promise<number[]> {
    const { app, base } = await startTestServer(
      database.db,
      webConfig({ WEB_TRUST_PROXY: trust, WEB_LOGIN_RATE_PER_MIN: '4' }),
    );
    servers.push(app);
    const c = new Client(base);
    const token = await c.csrf('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await c.post(
        '/login',
        { _csrf: token, email: 'nobody@example.com', password: 'guess guess guess' },
        // `$proxy_add_x_forwarded_for`: what the client sent, then the address nginx saw.
        { 'x-forwarded-for': `10.${i}.0.1, 198.51.100.7` },
      );
      statuses.push(r.status);
    }
    return statuses;
  }

  it('WEB_TRUST_PROXY=1 (one hop, nginx) throttles the real address whatever the client writes in front', async () => {
    expect(await spoofingBurst('1')).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('WEB_TRUST_PROXY=true believes the made-up address, so the per-address throttle is dodged', async () => {
    // Why docs/deploy.md says 1, not true: with true the leftmost entry, which the client wrote, is the address.
    expect(await spoofingBurst('true')).toEqual([401, 401, 401, 401, 401, 401]);
  });
});
