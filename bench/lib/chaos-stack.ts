/**
 * The production shape of the chaos trials (bench/chaos.ts) on the host: a PostgreSQL cluster and a
 * redis-server of the trials' own (never the shared 5432 / 6379, so they may be restarted at will), a small
 * world (feeds and static sites on loopback, two fake LLM providers, a real SMTP server), and per trial a
 * fresh database with `finrep web`, two `finrep worker` and `finrep beat`, each supervised: a process that
 * dies is started again after a short delay, as compose's `restart: unless-stopped` does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/client.ts';
import { recipientsQ, sourcesQ } from '../../src/db/queries/index.ts';
import { startFakeLlm } from '../../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../../src/extract/fake-server.ts';
import { freePort, privatePostgres, privateRedis } from '../../test/helpers/private-servers.ts';
import type { PrivatePostgres, PrivateRedis } from '../../test/helpers/private-servers.ts';
import { startTestSmtp } from '../../test/helpers/smtp.ts';
import type { SmtpFailure, TestSmtp } from '../../test/helpers/smtp.ts';
import { killTree, sleep, startFinrep, stopFinrep } from './edition-world-procs.ts';
import type { FinrepProcess } from './edition-world-procs.ts';
import { serveWorld } from './edition-world-sites.ts';
import type { ServedWorld } from './edition-world-sites.ts';
import { planWorld } from './edition-world.ts';
import type { WorldPlan } from './edition-world.ts';

export const ROLES = ['web', 'worker-1', 'worker-2', 'beat'] as const;
export type Role = (typeof ROLES)[number];

/** The world's size and pace: small, so that one trial takes well under a minute. */
export interface ChaosShape {
  /** `dynamic`: sites rendered in Chromium (default none). */
  sources: { rss: number; web: number; dynamic?: number };
  stories: number;
  items: number;
  recipients: number;
  latencyMs: number;
  llmLatencyMs: number;
  mailRatePerSec: number;
}

/** The servers a batch of trials shares: private PostgreSQL and Redis, the world, LLMs and SMTP. */
export interface ChaosWorld {
  date: string;
  shape: ChaosShape;
  plan: WorldPlan;
  sites: ServedWorld;
  pg: PrivatePostgres;
  redis: PrivateRedis;
  llm: { deepseek: FakeLlmServer; qwen: FakeLlmServer };
  smtp: TestSmtp;
  /** While set, the SMTP server refuses every recipient with this reply (the mail relay is down). */
  smtpDown: { reply: SmtpFailure | null };
  recipients: { email: string; name: string; groups: string[] }[];
  close(): Promise<void>;
}

export async function startChaosWorld(o: {
  date: string;
  from: Date;
  to: Date;
  timeZone: string;
  shape: ChaosShape;
}): Promise<ChaosWorld> {
  const { shape } = o;
  const plan = planWorld({
    from: o.from,
    to: o.to,
    timeZone: o.timeZone,
    stories: shape.stories,
    items: shape.items,
    sites: { dynamic: 0, ...shape.sources },
  });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const pgServer = await privatePostgres();
    closers.push(() => pgServer.destroy());
    const redis = await privateRedis();
    closers.push(() => redis.kill());
    const sites = await serveWorld(plan, { latencyMs: shape.latencyMs, timeZone: o.timeZone });
    closers.push(() => sites.close());
    const deepseek = await startFakeLlm({ style: 'deepseek', latencyMs: shape.llmLatencyMs, apiKey: 'chaos-key' });
    closers.push(() => deepseek.close());
    const qwen = await startFakeLlm({ style: 'qwen', latencyMs: shape.llmLatencyMs, apiKey: 'chaos-key' });
    closers.push(() => qwen.close());
    const smtpDown: ChaosWorld['smtpDown'] = { reply: null };
    const smtp = await startTestSmtp({ failFor: () => smtpDown.reply });
    closers.push(() => smtp.close());
    const recipients = Array.from({ length: shape.recipients }, (_, i) => ({
      email: `chaos${String(i + 1).padStart(3, '0')}@reader.example.com`,
      name: `读者${i + 1}`,
      groups: ['研究部'],
    }));
    return {
      date: o.date,
      shape,
      plan,
      sites,
      pg: pgServer,
      redis,
      llm: { deepseek, qwen },
      smtp,
      smtpDown,
      recipients,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One supervised finrep process: started again `restartDelayMs` after it died, until the stack stops. */
export interface Supervised {
  role: Role;
  current: FinrepProcess;
  /** Every pid it ran as, in order. */
  pids: number[];
  restarts: number;
  /** SIGKILLs the process tree; the supervisor brings it back. Resolves with the processes killed. */
  kill(): Promise<number>;
  /** When the current process was (re)started, ms since the stack's t0. */
  startedAtMs: number;
}

export interface ChaosStack {
  env: Record<string, string>;
  dataDir: string;
  webUrl: string;
  databaseUrl: string;
  token: string;
  procs: Record<Role, Supervised>;
  /** SMTP messages received before this trial (the server is shared by the batch). */
  smtpBase: number;
  /** Start of the trial's clock (performance.now()). */
  t0: number;
  stop(): Promise<{ role: Role; exit: number | string | null; graceful: boolean }[]>;
}

/**
 * A fresh database (migrated, seeded with the world's sources and recipients, an admin bearer token), the
 * Redis db flushed, and web, two workers and beat started and ready (`/healthz` 200).
 */
export async function startStack(
  world: ChaosWorld,
  o: {
    name: string;
    restartDelayMs: number;
    extraEnv?: Record<string, string>;
    dataDir?: string;
    /** The processes to start (default all of ROLES); `procs` holds only these. */
    roles?: readonly Role[];
    /** Called as each process (or its restart) is spawned, before it does any work. */
    onSpawn?: (role: Role, pid: number) => void;
  },
): Promise<ChaosStack> {
  const roles = o.roles ?? ROLES;
  const dataDir = o.dataDir ?? mkdtempSync(path.join(tmpdir(), 'finrep-chaos-'));
  const databaseUrl = await world.pg.createDatabase(o.name);
  const flush = new Redis(world.redis.url(0), { maxRetriesPerRequest: 2 });
  await flush.flushall().finally(() => flush.disconnect());
  const port = await freePort();
  const { deepseek, qwen } = world.llm;
  const env: Record<string, string> = {
    ENV: 'production',
    TZ: 'Asia/Shanghai',
    LOG_LEVEL: 'warn',
    FINREP_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: world.redis.url(0),
    JWT_SECRET_KEY: 'chaos-trials-secret-0123456789abcdef',
    LLM_PROVIDERS: 'deepseek,qwen',
    PROVIDER_DEEPSEEK_API_KEY: 'chaos-key',
    PROVIDER_DEEPSEEK_BASE_URL: deepseek.url,
    PROVIDER_QWEN_API_KEY: 'chaos-key',
    PROVIDER_QWEN_BASE_URL: qwen.url,
    LLM_CONCURRENCY: '4',
    LLM_TIMEOUT_SEC: '20',
    SMTP_HOST: world.smtp.host,
    SMTP_PORT: String(world.smtp.port),
    SMTP_FROM: 'report@finrep.chaos',
    MAIL_RATE_LIMIT_PER_SEC: String(world.shape.mailRatePerSec),
    PUBLIC_BASE_URL: 'http://finrep.chaos',
    WEB_HOST: '127.0.0.1',
    WEB_PORT: String(port),
    // The schedule never fires during a trial (the edition is started through the API) and the beat
    // catches nothing up when it restarts: the trial's edition is the only one.
    SCHEDULE_CRON: '0 6 1 1 *',
    SCHEDULE_CATCHUP_HOURS: '0',
    // A crashed worker's jobs are taken over after this (production default 30 s): shorter trials.
    JOB_LOCK_SEC: '10',
    HEALTH_DISK_MIN_FREE_MB: '0',
    HEALTH_DISK_MIN_FREE_PERCENT: '0',
    ...o.extraEnv,
  };
  const migrate = await startFinrep('migrate', ['migrate'], env, dataDir).done;
  if (migrate.code !== 0) throw new Error(`finrep migrate failed: ${migrate.stderr.trim().slice(-500)}`);
  const config = loadConfig(env, { envFile: null });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir, migrate: false });
  try {
    await sourcesQ.upsertSources(database.db, world.sites.seeds);
    await recipientsQ.upsertRecipients(database.db, world.recipients);
  } finally {
    await database.close();
  }
  const tok = await startFinrep(
    'token',
    ['token', 'create', '--role', 'admin', '--name', 'chaos', '--json'],
    env,
    dataDir,
  ).done;
  if (tok.code !== 0) throw new Error(`finrep token create failed: ${tok.stderr.trim().slice(-500)}`);
  const token = (JSON.parse(tok.stdout) as { token: string }).token;

  const t0 = performance.now();
  let stopping = false;
  const args: Record<Role, string[]> = {
    web: ['web'],
    'worker-1': ['worker'],
    'worker-2': ['worker'],
    beat: ['beat'],
  };
  const supervise = (role: Role): Supervised => {
    const s: Supervised = {
      role,
      current: startFinrep(role, args[role], env, dataDir, { forward: true }),
      pids: [],
      restarts: 0,
      startedAtMs: 0,
      async kill() {
        return killTree(s.current);
      },
    };
    const watch = (p: FinrepProcess) => {
      o.onSpawn?.(role, p.pid);
      s.pids.push(p.pid);
      s.startedAtMs = Math.round(performance.now() - t0);
      void p.done.then(async () => {
        if (stopping) return;
        await sleep(o.restartDelayMs);
        if (stopping) return;
        s.restarts++;
        s.current = startFinrep(role, args[role], env, dataDir, { forward: true });
        watch(s.current);
      });
    };
    watch(s.current);
    return s;
  };
  const procs = Object.fromEntries(roles.map((r) => [r, supervise(r)])) as Record<Role, Supervised>;
  const webUrl = `http://127.0.0.1:${port}`;
  const stack: ChaosStack = {
    env,
    dataDir,
    webUrl,
    databaseUrl,
    token,
    procs,
    smtpBase: world.smtp.messages.length,
    t0,
    async stop() {
      stopping = true;
      const out = await Promise.all(
        roles.map(async (role) => {
          const r = await stopFinrep(procs[role].current, 20_000);
          return { role, exit: r.code ?? r.signal, graceful: r.graceful };
        }),
      );
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
      const admin = new pg.Client({ connectionString: world.pg.url() });
      await admin.connect();
      await admin.query(`drop database if exists ${o.name} with (force)`).finally(() => admin.end());
      return out;
    },
  };
  try {
    await waitHealthy(webUrl, 120_000);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/** Waits for `/healthz` to answer 200 (web up, database and Redis reachable, a worker and beat alive). */
export async function waitHealthy(webUrl: string, timeoutMs: number): Promise<number> {
  const start = performance.now();
  let last = '';
  while (performance.now() - start < timeoutMs) {
    const r = await fetch(`${webUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => e);
    if (!(r instanceof Error) && r.status === 200) return Math.round(performance.now() - start);
    last = r instanceof Error ? r.message : `${r.status} ${await r.text().catch(() => '')}`;
    await sleep(500);
  }
  throw new Error(`web not healthy within ${timeoutMs / 1000} s: ${last.slice(0, 300)}`);
}

/** Starts the edition as an operator or a script would: `POST /api/v1/runs` with an admin bearer token. */
export async function startEditionViaApi(stack: ChaosStack, date: string): Promise<number> {
  const r = await fetch(`${stack.webUrl}/api/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ date }),
  });
  const body = (await r.json()) as { run_id?: number; message?: string };
  if (r.status !== 202 || !body.run_id) throw new Error(`POST /api/v1/runs: ${r.status} ${JSON.stringify(body)}`);
  return body.run_id;
}
