import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/db/queries/api-tokens.ts';
import { listAudit } from '../src/db/queries/audit.ts';
import { findUserByEmail } from '../src/db/queries/users.ts';
import { newApiToken } from '../src/web/auth/api-tokens.ts';
import { currentTotp } from '../src/web/auth/totp.ts';
import { ROUTES } from '../src/web/routes/index.ts';
import type { WebRoute } from '../src/web/server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';

/**
 * Public routes, on purpose. A route that answers without credentials must match one of these: adding a
 * public route means adding it here, in review. (Mail links — unsubscribe, web view — are public too.)
 */
const PUBLIC = [
  /^\/livez$/,
  /^\/healthz$/,
  // Prometheus: METRICS_TOKEN when set, else direct callers on the internal network only (test/ops-metrics.test.ts).
  /^\/metrics$/,
  /^\/login(\/2fa)?$/,
  /^\/static\/\*$/,
  // Mail links: unsubscribe (signed token, RFC 8058 one-click) and the web view (a signed link, else sign-in).
  /^\/unsubscribe$/,
  /^\/reports\/:date$/,
];
/** Public routes that still answer only a redirect to /login when called without their signed token. */
const SIGNED_LINKS = ['/reports/:date'];
/** State changes every signed-in user may make on their own account (so a viewer is not refused them). */
const SELF_SERVICE = new Set(['POST /logout', 'POST /account/password', 'POST /account/2fa']);

/** A route that declares nothing: it must be closed (viewer for GET, admin for POST). */
const undeclared: WebRoute = (app) => {
  app.get('/test/undeclared', async () => ({ ok: true }));
  app.post('/test/undeclared', async () => ({ changed: true }));
  app.delete('/test/things/:id', async () => ({ deleted: true }));
};

const concrete = (url: string) => url.replace(/:date/g, '2025-11-10').replace(/:\w+/g, '1').replace(/\*/g, 'app.css');

describe(`web auth (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let adminToken: string;
  let viewerToken: string;
  let totpSecret: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    await addUser(database.db, 'victim@example.com', 'viewer', PASSWORD);
    totpSecret = (await addUser(database.db, 'totp@example.com', 'admin', PASSWORD, { totp: true })).totpSecret!;
    for (const [role, set] of [
      ['admin', (t: string) => (adminToken = t)],
      ['viewer', (t: string) => (viewerToken = t)],
    ] as const) {
      const t = newApiToken();
      await createApiToken(database.db, {
        name: `${role}-bot`,
        role,
        tokenHash: t.hash,
        prefix: t.prefix,
        createdBy: 'test',
      });
      set(t.token);
    }
    // Each client says which address it is (X-Forwarded-For from a trusted proxy), so the per-address
    // limit of one test does not spill into another.
    const config = webConfig({ WEB_TRUST_PROXY: '127.0.0.1', WEB_LOGIN_RATE_PER_MIN: '6' });
    ({ app, base } = await startTestServer(database.db, config, [...ROUTES, undeclared]));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  let ipSeq = 10;
  const client = () => new Client(base, { 'x-forwarded-for': `203.0.113.${ipSeq++}` });

  it('every route but the public ones answers 401 or a redirect to /login without credentials', async () => {
    const routes = app.routeTable.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(8);
    const anon = client();
    let checked = 0;
    for (const r of routes) {
      if (r.auth === 'public') {
        expect(
          PUBLIC.some((p) => p.test(r.url)),
          `${r.method} ${r.url} is public but not in the list`,
        ).toBe(true);
        if (!SIGNED_LINKS.includes(r.url)) continue;
      }
      const res = await anon.request(r.method, concrete(r.url), r.method === 'GET' ? {} : { form: {} });
      const ok = res.status === 401 || (res.status === 302 && res.location!.startsWith('/login?next='));
      expect(ok, `${r.method} ${r.url} → ${res.status}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    // A token that does not exist is no credential either.
    const forged = await new Client(base, { authorization: 'Bearer frp_notarealtoken' }).get('/api/docs/json');
    expect(forged.status).toBe(401);
  });

  it('a viewer gets 403 on every state change (session with CSRF token, and bearer token)', async () => {
    const viewer = client();
    expect((await viewer.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
    const token = await viewer.csrf('/account');
    const changes = app.routeTable.filter(
      (r) =>
        !['GET', 'HEAD', 'OPTIONS'].includes(r.method) &&
        r.auth !== 'public' &&
        !SELF_SERVICE.has(`${r.method} ${r.url}`),
    );
    expect(changes.length).toBeGreaterThan(0);
    for (const r of changes) {
      const res = await viewer.request(r.method, concrete(r.url), { form: { _csrf: token } });
      expect(res.status, `${r.method} ${r.url}`).toBe(403);
      const bot = await new Client(base, { authorization: `Bearer ${viewerToken}` }).request(
        r.method,
        concrete(r.url),
        {
          form: {},
        },
      );
      expect(bot.status, `token ${r.method} ${r.url}`).toBe(403);
    }
    // The same routes let an admin through (token: no CSRF needed; session: with the token).
    const admin = await new Client(base, { authorization: `Bearer ${adminToken}` }).request(
      'POST',
      '/test/undeclared',
      {
        form: {},
      },
    );
    expect(admin.status).toBe(200);
    // A viewer reads.
    expect((await viewer.get('/test/undeclared')).status).toBe(200);
  });

  it('a state change without a CSRF token gets 403, even from an admin', async () => {
    const admin = client();
    expect((await admin.signIn('admin@example.com', PASSWORD)).status).toBe(303);
    const checked = app.routeTable.filter((r) => r.csrf);
    expect(checked.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['POST /login', 'POST /logout']));
    for (const r of checked) {
      if (r.auth === 'public' && r.url !== '/login') continue;
      const res = await admin.request(r.method, concrete(r.url), { form: { _csrf: 'forged' } });
      expect(res.status, `${r.method} ${r.url}`).toBe(403);
      const none = await admin.request(r.method, concrete(r.url), { form: {} });
      expect(none.status, `${r.method} ${r.url} without token`).toBe(403);
    }
    // Still signed in: the refused logout did nothing.
    expect((await admin.get('/')).status).toBe(200);
    const token = await admin.csrf('/account');
    expect((await admin.post('/test/undeclared', { _csrf: token })).status).toBe(200);
  });

  it('a burst of wrong passwords is throttled per address, and locks the account for every address', async () => {
    const attacker = client();
    const token = await attacker.csrf();
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      const r = await attacker.post('/login', {
        _csrf: token,
        email: 'victim@example.com',
        password: `guess-${i}xxxxx`,
      });
      statuses.push(r.status);
    }
    // Six attempts a minute from one address (WEB_LOGIN_RATE_PER_MIN=6), then 429.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429, 429]);
    // A person at the sign-in form (a browser asks for HTML) gets a page in its language saying when to retry.
    const form = { _csrf: token, email: 'victim@example.com', password: 'guess-9xxxxx' };
    const zh = await attacker.post('/login', form, { accept: 'text/html,application/xhtml+xml' });
    expect(zh.status).toBe(429);
    expect(zh.headers.get('content-type')).toMatch(/^text\/html/);
    const wait = zh.headers.get('retry-after');
    expect(wait).toMatch(/^\d+$/);
    expect(zh.text).toContain(`此地址的请求过于频繁，请 ${wait} 秒后再试。`);
    const en = await attacker.post('/login', form, { accept: 'text/html', 'accept-language': 'en' });
    expect(en.text).toMatch(/Too many requests from this address\. Try again in \d+ s\./);
    // A script (no HTML asked) still gets the JSON reply.
    const json = await attacker.post('/login', form, { accept: 'application/json' });
    expect(JSON.parse(json.text)).toMatchObject({ error: 'too_many_requests' });
    // Five failures locked the account: the right password from another address is refused too, for now.
    const owner = client();
    const r = await owner.signIn('victim@example.com', PASSWORD);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(owner.cookies.has('finrep_session')).toBe(false);
    const victim = await findUserByEmail(database.db, 'victim@example.com');
    expect(victim!.failedLogins).toBeGreaterThanOrEqual(5);
    expect(victim!.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
  });

  it('signs in and out: HttpOnly SameSite=Lax cookie, logout revokes the token itself', async () => {
    const c = client();
    const r = await c.signIn('viewer@example.com', PASSWORD);
    expect(r.status).toBe(303);
    const setCookie = r.headers.getSetCookie().find((s) => s.startsWith('finrep_session='))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
    const stolen = c.cookies.get('finrep_session')!;
    expect((await c.get('/')).text).toContain('viewer@example.com');
    const out = await c.post('/logout', { _csrf: await c.csrf('/account') });
    expect(out.status).toBe(303);
    // Replaying the old cookie after logout: revoked by the session version.
    const replay = new Client(base);
    replay.cookies.set('finrep_session', stolen);
    expect((await replay.get('/')).status).toBe(302);
  });

  it('with TOTP: the password alone gives no session; a wrong code fails; the right one signs in', async () => {
    const c = client();
    const token = await c.csrf();
    const step1 = await c.post('/login', {
      _csrf: token,
      email: 'totp@example.com',
      password: PASSWORD,
      next: '/account',
    });
    expect(step1.status).toBe(303);
    expect(step1.location).toBe('/login/2fa?next=%2Faccount');
    expect(c.cookies.has('finrep_session')).toBe(false);
    expect((await c.get('/')).status).toBe(302);
    const t2 = await c.csrf(step1.location!);
    expect((await c.post('/login/2fa', { _csrf: t2, code: '000000', next: '/account' })).status).toBe(401);
    const code = currentTotp(totpSecret);
    const ok = await c.post('/login/2fa', { _csrf: t2, code, next: '/account' });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/account');
    expect((await c.get('/account')).text).toContain('totp@example.com');
    // The same code again (a replay within its 30 s window) is refused: a code signs in once.
    const again = client();
    const t3 = await again.csrf();
    await again.post('/login', { _csrf: t3, email: 'totp@example.com', password: PASSWORD, next: '/' });
    const t4 = await again.csrf('/login/2fa');
    const replay = await again.post('/login/2fa', { _csrf: t4, code, next: '/' });
    expect(replay.status).toBe(401);
    expect(again.cookies.has('finrep_session')).toBe(false);
    const audit = await listAudit(database.db, { limit: 50 });
    expect(audit.some((r) => r.action === 'login.failure' && r.detail?.reason === 'code already used')).toBe(true);
    expect((await findUserByEmail(database.db, 'totp@example.com'))!.totpLastStep).not.toBeNull();
    // The second-factor cookie alone, without the password step, leads back to /login.
    const stranger = client();
    expect((await stranger.get('/login/2fa')).location).toBe('/login');
  });

  it('a password change ends the other sessions and keeps this one', async () => {
    await addUser(database.db, 'changer@example.com', 'viewer', PASSWORD);
    const here = client();
    const there = client();
    await here.signIn('changer@example.com', PASSWORD);
    await there.signIn('changer@example.com', PASSWORD);
    const token = await here.csrf('/account');
    const bad = await here.post('/account/password', {
      _csrf: token,
      current: 'wrong-password',
      password: 'a new passphrase',
      confirm: 'a new passphrase',
    });
    expect(bad.status).toBe(400);
    const r = await here.post('/account/password', {
      _csrf: token,
      current: PASSWORD,
      password: 'a new passphrase',
      confirm: 'a new passphrase',
    });
    expect(r.status).toBe(303);
    expect((await here.get('/account')).status).toBe(200);
    expect((await there.get('/account')).status).toBe(302);
    expect((await client().signIn('changer@example.com', 'a new passphrase')).status).toBe(303);
  });

  it('audits sign-ins, failures and changes without a password, hash or secret', async () => {
    const rows = await listAudit(database.db, { limit: 500 });
    const actions = new Set(rows.map((r) => r.action));
    for (const a of [
      'login.success',
      'login.failure',
      'login.locked',
      'logout',
      'user.password',
      'user.password.failure',
    ])
      expect(actions, a).toContain(a);
    const success = rows.find((r) => r.action === 'login.success' && r.target === 'totp@example.com')!;
    expect(success.detail).toMatchObject({ method: 'password+totp' });
    expect(success.actor).toBe('user:totp@example.com');
    const all = JSON.stringify(rows);
    for (const secret of [PASSWORD, 'a new passphrase', 'guess-1xxxxx', totpSecret, '$argon2id'])
      expect(all).not.toContain(secret);
  });

  it('pages carry a CSP without inline scripts, and no inline script at all', async () => {
    const r = await client().get('/login');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.text).not.toMatch(/<script|\son\w+=/i);
    expect(r.headers.get('x-request-id')).toBeTruthy();
    // With no user at all the page says how to create the first admin: checked in web-first-admin.
  });
});

describe(`web auth: AUTH_REQUIRE_2FA and https (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    ({ app, base } = await startTestServer(
      database.db,
      webConfig({ AUTH_REQUIRE_2FA: 'true', PUBLIC_BASE_URL: 'https://finrep.example.com' }),
    ));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('with no user, the login page names the command that creates the first admin', async () => {
    const r = await new Client(base).get('/login');
    expect(r.text).toContain('finrep user add you@example.com --role admin');
  });

  it('an admin without a second factor can only enrol; the cookie is Secure behind https', async () => {
    await addUser(database.db, 'boss@example.com', 'admin', PASSWORD);
    const c = new Client(base);
    const r = await c.signIn('boss@example.com', PASSWORD);
    expect(r.headers.getSetCookie().find((s) => s.startsWith('finrep_session='))).toMatch(/Secure/);
    expect(r.status).toBe(303);
    const home = await c.get('/');
    expect(home.status).toBe(302);
    expect(home.location).toBe('/account/2fa');
    const enrol = await c.get('/account/2fa');
    expect(enrol.status).toBe(200);
    expect(enrol.text).toContain('data:image/svg+xml;base64,');
    const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(enrol.text)![1]!.replace(/ /g, '');
    const sealed = /name="sealed" value="([^"]+)"/.exec(enrol.text)![1]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(enrol.text)![1]!;
    const done = await c.post('/account/2fa', { _csrf: token, sealed, code: currentTotp(secret) });
    expect(done.status).toBe(303);
    expect((await c.get('/')).status).toBe(200);
    const user = await findUserByEmail(database.db, 'boss@example.com');
    expect(user!.totpEnabledAt).not.toBeNull();
    expect(user!.totpSecret).not.toContain(secret);
  });
});
