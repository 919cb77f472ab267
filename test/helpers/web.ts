import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { createUser, setTotp } from '../../src/db/queries/users.ts';
import type { Db } from '../../src/db/client.ts';
import { silentLogger } from '../../src/log.ts';
import { hashPassword } from '../../src/web/auth/passwords.ts';
import { seal } from '../../src/web/auth/secret-box.ts';
import { newTotpSecret } from '../../src/web/auth/totp.ts';
import { buildServer } from '../../src/web/server.ts';
import type { WebRoute } from '../../src/web/server.ts';

export const SECRET = 'test-secret-0123456789abcdef';

/** A configuration for a test server (no .env read). */
export function webConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ FINREP_DATA_DIR: '/nonexistent-unused', LOG_LEVEL: 'silent', ...env }, { envFile: null });
}

/** The real server on 127.0.0.1 with an ephemeral port. */
export async function startTestServer(
  db: Db,
  config: Config,
  routes?: WebRoute[],
): Promise<{ app: FastifyInstance; base: string }> {
  const app = await buildServer({ config, db, log: silentLogger(), secret: SECRET }, routes ? { routes } : {});
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  return { app, base: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
}

/** Creates a user with a password (and a TOTP secret, returned, when `totp`). */
export async function addUser(
  db: Db,
  email: string,
  role: 'admin' | 'viewer',
  password: string,
  opts: { totp?: boolean } = {},
): Promise<{ id: number; totpSecret: string | null }> {
  const u = await createUser(db, { email, role, passwordHash: await hashPassword(password) });
  if (!u) throw new Error(`user ${email} exists`);
  let totpSecret: string | null = null;
  if (opts.totp) {
    totpSecret = newTotpSecret();
    await setTotp(db, u.id, seal(totpSecret, SECRET), true);
  }
  return { id: u.id, totpSecret };
}

/** A browser-like HTTP client: keeps cookies, never follows redirects. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async request(
    method: string,
    path: string,
    opts: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...this.headers, ...opts.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, location: res.headers.get('location'), headers: res.headers, text: await res.text() };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.request('POST', path, { form, headers });
  }

  /** The CSRF token of a page's forms (and the secret cookie that goes with it). */
  async csrf(path = '/login'): Promise<string> {
    const page = await this.get(path);
    const m = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!m) throw new Error(`no CSRF token on ${path} (${page.status})`);
    return m[1]!;
  }

  /** Signs in with a password (and a TOTP code when asked): returns the final answer. */
  async signIn(email: string, password: string, code?: () => string) {
    const token = await this.csrf('/login');
    const r = await this.post('/login', { _csrf: token, email, password, next: '/' });
    if (r.status === 303 && r.location?.startsWith('/login/2fa') && code) {
      const t2 = await this.csrf(r.location);
      return this.post('/login/2fa', { _csrf: t2, code: code(), next: '/' });
    }
    return r;
  }
}
