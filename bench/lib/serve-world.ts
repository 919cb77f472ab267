/**
 * The reference edition's world (`bench:edition`'s workload) as one long-running process, for the prod stack
 * (`npm run bench:stack`, scripts/stack-bench.sh): run in a container of the `dev` image on the compose
 * network, with every site's name (`site-000` … `site-199`) a network alias of that container.
 *
 *   tsx bench/lib/serve-world.ts
 *
 * Serves, on 0.0.0.0: the 200 sites on SITE_PORT (8080; told apart by the Host header, every answer delayed
 * by LATENCY_MS), the fake LLM on LLM_PORT (8081; OpenAI wire format, LLM_LATENCY_MS per call, key
 * BENCH_LLM_KEY) and an SMTP sink on SMTP_PORT (2525), and a control API on CONTROL_PORT (8090):
 *   GET /ready   — 200 once the world is served and the stack's database holds its sources and recipients
 *                  (seeded through finrep's own queries, with the app's POSTGRES_* / DATABASE_URL settings);
 *                  JSON { date, bound, workload }.
 *   GET /report  — the edition's checks (`checkEdition`: articles, clusters, report items, exactly-once mail
 *                  per recipient), the requests the sites, LLM and SMTP sink answered.
 * Workload size: STORIES (600), ITEMS (6000), RECIPIENTS (500), MAIL_RATE_LIMIT_PER_SEC (10), EDITION_DATE
 * (default: the latest edition whose deadline has passed, as bench:edition picks it).
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/client.ts';
import { recipientsQ, sourcesQ } from '../../src/db/queries/index.ts';
import { startFakeLlm } from '../../src/extract/fake-server.ts';
import { dateInZone } from '../../src/lib/time.ts';
import { editionWindow } from '../../src/pipeline/window.ts';
import { startTestSmtp } from '../../test/helpers/smtp.ts';
import { checkEdition, trafficCounts } from './edition-world-checks.ts';
import { serveWorldByHost } from './edition-world-sites.ts';
import { editionBound, planWorld } from './edition-world.ts';

const env = process.env;
const n = (name: string, fallback: number): number => {
  const v = Number(env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: expected a number, got "${env[name]}"`);
  return v;
};
const TZ = 'Asia/Shanghai';
const LATENCY_MS = n('LATENCY_MS', 200);
const LLM_LATENCY_MS = n('LLM_LATENCY_MS', 1500);
const STORIES = n('STORIES', 600);
const ITEMS = n('ITEMS', 6000);
const RECIPIENTS = n('RECIPIENTS', 500);
const SITE_PORT = n('SITE_PORT', 8080);
const log = (s: string) => process.stdout.write(`serve-world: ${s}\n`);

/** As bench:edition: the latest edition whose deadline (06:15) has passed. */
function defaultDate(now: Date): string {
  const today = dateInZone(now, TZ);
  const w = editionWindow(today, { timeZone: TZ, cutoff: '06:15', windowHours: 24 });
  return w.to.getTime() <= now.getTime() ? today : dateInZone(new Date(now.getTime() - 86_400_000), TZ);
}
const DATE = env.EDITION_DATE || defaultDate(new Date());

const window = editionWindow(DATE, { timeZone: TZ, cutoff: '06:00', windowHours: 24 });
const plan = planWorld({ from: window.from, to: window.to, timeZone: TZ, stories: STORIES, items: ITEMS });
const world = await serveWorldByHost(plan, {
  latencyMs: LATENCY_MS,
  timeZone: TZ,
  port: SITE_PORT,
  hostOf: (site) => `site-${String(site.index).padStart(3, '0')}`,
});
const fake = await startFakeLlm({
  style: 'deepseek',
  latencyMs: LLM_LATENCY_MS,
  apiKey: env.BENCH_LLM_KEY ?? 'bench-edition-key',
  host: '0.0.0.0',
  port: n('LLM_PORT', 8081),
});
// The test SMTP server listens on 127.0.0.1 only: a plain TCP relay makes it reachable on the network.
const smtp = await startTestSmtp({ idleTimeoutMs: 300_000 });
const relay = createTcpServer((socket) => {
  const upstream = connect(smtp.port, '127.0.0.1');
  socket.pipe(upstream).pipe(socket);
  socket.on('error', () => upstream.destroy());
  upstream.on('error', () => socket.destroy());
});
await new Promise<void>((resolve) => relay.listen(n('SMTP_PORT', 2525), '0.0.0.0', resolve));
const recipients = Array.from({ length: RECIPIENTS }, (_, i) => ({
  email: `reader${String(i + 1).padStart(4, '0')}@bench.example.com`,
  name: `读者${i + 1}`,
  groups: [i % 3 === 0 ? '研究部' : '投资部'],
}));
log(
  `edition ${DATE}: ${plan.sites.length} sites, ${plan.items} items, ${plan.stories} stories, ${RECIPIENTS} recipients`,
);

// The app's own settings (the same POSTGRES_* / *_FILE variables as web and worker): the bound and the database.
const config = loadConfig(env, { envFile: null });
// bench:edition's bound (bench/edition.ts): max(collect, LLM) + mail.
const { rssFeeds, webSites, llmConcurrency, ...bound } = editionBound(plan, config, {
  latencyMs: LATENCY_MS,
  llmLatencyMs: LLM_LATENCY_MS,
  recipients: RECIPIENTS,
});
const workload = {
  sources: {
    rss: rssFeeds,
    web: webSites.filter((s) => s.kind === 'web').length,
    dynamic: webSites.length - webSites.filter((s) => s.kind === 'web').length,
  },
  items: plan.items,
  stories: plan.stories,
  recipients: RECIPIENTS,
  latency_ms: LATENCY_MS,
  llm_latency_ms: LLM_LATENCY_MS,
  limits: {
    crawl_rss: config.crawl.concurrencyRss,
    crawl_web: config.crawl.concurrencyWeb,
    per_host: config.crawl.perHostConcurrency,
    llm_concurrency: llmConcurrency,
    mail_rate_per_sec: config.mail.ratePerSec,
  },
};

// Seeds the stack's database (migrated by its migrate service) with the world's sources and recipients.
let ready = false;
let seedError: string | null = null;
const seed = async (): Promise<void> => {
  for (let attempt = 1; ; attempt++) {
    try {
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
      try {
        await sourcesQ.upsertSources(database.db, world.seeds);
        await recipientsQ.upsertRecipients(database.db, recipients);
      } finally {
        await database.close();
      }
      ready = true;
      log(`seeded ${world.seeds.length} sources and ${recipients.length} recipients`);
      return;
    } catch (err) {
      seedError = String(err);
      if (attempt >= 60) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
};
void seed().catch((err) => log(`seeding failed: ${String(err)}`));

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 1)}\n`);

const control = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/ready')
    return ready ? json(res, 200, { date: DATE, bound, workload }) : json(res, 503, { ready, error: seedError });
  if (path === '/report') {
    void (async () => {
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
      try {
        const check = await checkEdition(database.db, {
          date: DATE,
          storyOfUrl: world.storyOfUrl,
          expectedArticles: plan.items,
          expectedStories: plan.stories,
          recipients: recipients.map((r) => r.email),
          received: smtp.messages.flatMap((m) => m.envelope.to),
        });
        json(res, 200, {
          date: DATE,
          bound,
          workload,
          check,
          ...trafficCounts(world, fake, smtp),
        });
      } finally {
        await database.close();
      }
    })().catch((err) => json(res, 500, { error: String(err) }));
    return;
  }
  json(res, 404, { error: 'not found' });
});
control.listen(n('CONTROL_PORT', 8090), '0.0.0.0');

const stop = () => {
  control.close();
  relay.close();
  void Promise.all([world.close(), fake.close(), smtp.close()]).finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
