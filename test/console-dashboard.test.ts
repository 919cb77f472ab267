/**
 * The console's dashboard, runs and audit pages over the real server and database: the dashboard's numbers
 * from seeded editions, deliveries and the LLM ledger (late editions marked, failing sources linked), "run
 * now" starting a real edition on the embedded in-process queue and refusing a second while it runs, the SSE
 * stream of a run (in order, resuming from Last-Event-ID, ending with `end`), the audit log's filters, and
 * hostile texts inert everywhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/db/queries/api-tokens.ts';
import { addRunEvent, finishRun, startRun } from '../src/db/queries/runs.ts';
import { startEmbedded } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { newApiToken } from '../src/web/auth/api-tokens.ts';
import { inProcessEditionStarter } from '../src/web/edition-starter.ts';
import { buildServer } from '../src/web/server.ts';
import { HOSTILE, HOSTILE_IMG, seedDashboard } from './helpers/dashboard-seed.ts';
import type { Seeded } from './helpers/dashboard-seed.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, SECRET, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery staple 9';

/** Reads an SSE stream until `end` (or `max` messages): `[{ id, event, data }]`. */
async function readSse(url: string, headers: Record<string, string>, max = 200) {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(res.headers.get('x-accel-buffering')).toBe('no');
  expect(res.headers.get('cache-control')).toMatch(/no-cache/);
  const out: { id?: number; event: string; data: Record<string, unknown> }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => l && !l.startsWith(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      );
      if (!f.event) continue;
      out.push({ id: f.id ? Number(f.id) : undefined, event: f.event, data: JSON.parse(f.data ?? '{}') });
      if (f.event === 'end' || out.length >= max) {
        await reader.cancel();
        return out;
      }
    }
  }
  return out;
}

describe(`console dashboard, runs and audit (${TEST_DB})`, () => {
  let database: TestDatabase;
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  let app: FastifyInstance;
  let base: string;
  let admin: Client;
  let viewer: Client;
  let token: string;
  let seeded: Seeded;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-console-dash-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = webConfig({ FINREP_DATA_DIR: dataDir, SCHEDULE_CATCHUP_HOURS: '0' });
    const log = silentLogger();
    embedded = await startEmbedded({ db: database.db, config, log, secret: SECRET, openMailer: async () => null });
    const startEdition = inProcessEditionStarter({ db: database.db, config, queue: embedded.queue });
    app = await buildServer({ config, db: database.db, log, secret: SECRET, startEdition });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    seeded = await seedDashboard(database.db, { timeZone: config.timeZone, deadline: config.report.deadline });
    await addUser(database.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    admin = new Client(base, { 'accept-language': 'en' });
    viewer = new Client(base, { 'accept-language': 'en' });
    expect((await admin.signIn('admin@example.com', PASSWORD)).status).toBe(303);
    expect((await viewer.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
    const t = newApiToken();
    await createApiToken(database.db, {
      name: 'ops',
      role: 'viewer',
      tokenHash: t.hash,
      prefix: t.prefix,
      createdBy: 't',
    });
    token = t.token;
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await embedded?.stop(5000);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows today, the last editions against the deadline and the failing sources; hostile text inert', async () => {
    const r = await viewer.get('/');
    expect(r.status).toBe(200);
    const html = r.text;
    // Today's counts: 57 collected, 12 stories, 2 sent / 1 failed / 1 uncertain, ¥0.42 of LLM calls.
    const stat = (label: string) =>
      new RegExp(`stat-value">([^<]*)</div><div class="stat-label">${label}<`).exec(html)?.[1];
    expect([stat('Collected'), stat('Stories'), stat('Sent'), stat('Failed'), stat('Uncertain')]).toEqual([
      '57',
      '12',
      '2',
      '1',
      '1',
    ]);
    expect(stat('LLM cost')).toBe('¥0.42');
    expect(html).toContain(`href="/runs/${seeded.todayRun}"`);
    // Stages and errors of today's run.
    expect(html).toContain('data-stage="collect"');
    expect(html).toContain('1 min 01 s');
    expect(html).toMatch(/provider failed &lt;script&gt;/);
    // The last editions: yesterday late (30 min after 06:20), today on time, each with its cost.
    const row = (date: string) => html.slice(html.indexOf(`href="/reports/${date}"`)).split('</tr>')[0]!;
    expect(row(seeded.yesterday)).toContain('after 06:20');
    expect(row(seeded.yesterday)).toContain('¥1.50');
    expect(row(seeded.today)).toContain('on time');
    // Sources failing now, worst first, linked to their page.
    expect(html).toContain(`href="/sources/${seeded.failingSource}"`);
    expect(html).toContain('Sources failing now (2)');
    for (const bad of [HOSTILE, HOSTILE_IMG]) expect(html).not.toContain(bad);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // An API token asking for / still gets the API's address.
    const api = await fetch(`${base}/`, { headers: { authorization: `Bearer ${token}` } });
    expect(await api.json()).toMatchObject({ api: '/api/v1' });
  });

  it('streams a run as SSE in order, resumes from Last-Event-ID and ends with `end`', async () => {
    const runId = await startRun(database.db, seeded.editionId, 'test');
    await addRunEvent(database.db, { runId, stage: 'collect', kind: 'start', message: 'collect started' });
    await addRunEvent(database.db, { runId, stage: 'collect', kind: 'end', message: `3 sources ${HOSTILE}` });
    const headers = { cookie: [...viewer.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const reading = readSse(`${base}/runs/${runId}/events`, headers);
    await new Promise((r) => setTimeout(r, 1500));
    await addRunEvent(database.db, { runId, stage: 'dedup', kind: 'start', message: 'dedup started' });
    await finishRun(database.db, runId, 'ok', {}, null);
    await addRunEvent(database.db, { runId, kind: 'info', message: 'run ok' });
    const got = await reading;
    const events = got.filter((m) => m.event === 'run');
    expect(events.map((m) => m.data.message)).toEqual([
      'collect started',
      `3 sources ${HOSTILE}`,
      'dedup started',
      'run ok',
    ]);
    expect(events.map((m) => m.id)).toEqual([...events.map((m) => m.id!)].sort((a, b) => a - b));
    expect(events.every((m) => m.id === m.data.id)).toBe(true);
    expect(got.at(-1)).toMatchObject({ event: 'end', data: { status: 'ok' } });
    // A reconnect names the last event it had: only the later ones come, then the end.
    const again = await readSse(`${base}/runs/${runId}/events`, { ...headers, 'last-event-id': String(events[1]!.id) });
    expect(again.filter((m) => m.event === 'run').map((m) => m.data.message)).toEqual(['dedup started', 'run ok']);
    expect(again.at(-1)!.event).toBe('end');
    // No session: to the sign-in page; an unknown run: 404.
    expect((await fetch(`${base}/runs/${runId}/events`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${base}/runs/999999/events`, { headers })).status).toBe(404);
  }, 30_000);

  it('"run now" starts a real edition on the in-process queue and refuses a second while it runs', async () => {
    const form = async () => ({ _csrf: await admin.csrf('/runs'), date: '2026-01-05', dry_run: '1', groups: '' });
    const [a, b] = await Promise.all([
      form().then((f) => admin.post('/runs', f)),
      form().then((f) => admin.post('/runs', f)),
    ]);
    expect([a.status, b.status].sort()).toEqual([303, 409]);
    const ok = a.status === 303 ? a : b;
    const refused = a.status === 303 ? b : a;
    const runId = Number(/^\/runs\/(\d+)$/.exec(ok.location ?? '')?.[1]);
    expect(runId).toBeGreaterThan(0);
    expect(refused.text).toContain(`The edition 2026-01-05 is already running (run #${runId})`);
    expect(refused.text).toContain(`href="/runs/${runId}"`);
    // Its page, then its stream to the end: the pipeline's own events.
    const page = await admin.get(`/runs/${runId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`data-run="${runId}"`);
    const headers = { cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const got = await readSse(`${base}/runs/${runId}/events`, headers, 1000);
    expect(got.at(-1)!.event).toBe('end');
    expect(got.some((m) => m.event === 'run' && m.data.kind === 'start')).toBe(true);
    expect(got.some((m) => m.event === 'stages')).toBe(true);
    // The finished page links to the report; the runs list has it; the audit log says who started it.
    const done = await admin.get(`/runs/${runId}`);
    expect(done.text).toContain('href="/reports/2026-01-05"');
    expect(done.text).not.toContain('data-reload');
    expect((await admin.get('/runs')).text).toContain(`href="/runs/${runId}"`);
    const audit = await admin.get('/audit?action=run.start');
    expect(audit.text).toContain(`run:${runId}`);
    expect(audit.text).toContain('user:admin@example.com');
  }, 120_000);

  it('refuses a bad date inline; a viewer sees no form and cannot start', async () => {
    const bad = await admin.post('/runs', { _csrf: await admin.csrf('/runs'), date: '2026-02-30' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Expected a date as YYYY-MM-DD.');
    const page = await viewer.get('/runs');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('action="/runs"');
    const refused = await viewer.post('/runs', { _csrf: await viewer.csrf('/runs'), date: '2026-01-06' });
    expect(refused.status).toBe(403);
  });

  it('filters the audit log by actor, action, target and date; hostile entries inert', async () => {
    const rows = async (q: string) => {
      const r = await viewer.get(`/audit${q}`);
      expect(r.status).toBe(200);
      return { html: r.text, n: Math.max(0, (r.text.match(/<tr>/g) ?? []).length - 1) };
    };
    const all = await rows('');
    expect(all.html).not.toContain(HOSTILE);
    expect(all.html).not.toContain(HOSTILE_IMG);
    expect(all.html).toContain('&lt;script&gt;');
    const byAction = await rows('?action=source.update');
    expect(byAction.n).toBe(1);
    expect(byAction.html).toContain('{&quot;weight&quot;:1}');
    expect((await rows('?actor=cli%3Aops')).n).toBe(1);
    expect((await rows('?target=source%3A1')).n).toBe(1);
    expect((await rows('?from=2020-01-02&to=2020-01-02')).html).toContain('user.add');
    expect((await rows('?from=2020-01-02&to=2020-01-02')).n).toBe(1);
    expect((await rows('?actor=%25')).n).toBe(0); // a literal %, not a wildcard
  });
});
