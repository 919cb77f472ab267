/**
 * A Redis Sentinel group of a test's own: a primary, a replica and three sentinels (quorum 2) on free ports
 * of 127.0.0.1, in a temp folder, every data node and sentinel behind a password. Debian's `redis-sentinel`
 * runs the sentinels; {@link HAS_SENTINEL} is false without it.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './private-servers.ts';

/** `redis-sentinel` is on PATH (Debian's package of that name). */
export const HAS_SENTINEL = spawnSync('redis-sentinel', ['--version']).status === 0;

export const GROUP = 'finrep-test';
export const DATA_PASSWORD = 'data-Pa55word';
export const SENTINEL_PASSWORD = 'sentinel-Pa55word';

export interface SentinelGroup {
  /** `redis+sentinel://…/finrep-test/<db>` naming all three sentinels, with both passwords. */
  url(db?: number): string;
  /** The port of the data node the sentinels call the primary now. */
  primaryPort(): Promise<number>;
  /** The data node on `port` (for direct reads: `ROLE`, `WAIT`). */
  node(port: number): Redis;
  /** SIGKILL to the data node on `port`: the primary dying with its host. */
  kill(port: number): Promise<void>;
  ports: { primary: number; replica: number; sentinels: number[] };
  stop(): Promise<void>;
}

function spawnReady(cmd: string, args: string[], ready: string): Promise<ChildProcess> {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) resolve(c);
    });
    c.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}: ${out.slice(-800)}`)));
  });
}

export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-sentinel-'));
  const primary = await freePort();
  const replica = await freePort();
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const children = new Map<number, ChildProcess>();
  const clients: Redis[] = [];
  const node = (port: number, extra: string[] = []) =>
    spawnReady(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...['--requirepass', DATA_PASSWORD, '--masterauth', DATA_PASSWORD, '--dir', dir],
        ...['--dbfilename', `dump-${port}.rdb`, ...extra],
      ],
      'Ready to accept connections',
    );
  children.set(primary, await node(primary));
  children.set(replica, await node(replica, ['--replicaof', '127.0.0.1', String(primary)]));
  for (const port of sentinelPorts) {
    const conf = path.join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${SENTINEL_PASSWORD}`,
        `sentinel monitor ${GROUP} 127.0.0.1 ${primary} 2`,
        `sentinel auth-pass ${GROUP} ${DATA_PASSWORD}`,
        `sentinel down-after-milliseconds ${GROUP} 1000`,
        `sentinel failover-timeout ${GROUP} 10000`,
        // The sentinels talk to each other with the password they require.
        `sentinel sentinel-pass ${SENTINEL_PASSWORD}`,
        '',
      ].join('\n'),
    );
    children.set(port, await spawnReady('redis-sentinel', [conf], 'Sentinel ID'));
  }
  const sentinel = new Redis({ port: sentinelPorts[0], host: '127.0.0.1', password: SENTINEL_PASSWORD });
  clients.push(sentinel);
  const self: SentinelGroup = {
    ports: { primary, replica, sentinels: sentinelPorts },
    url: (db = 0) =>
      `redis+sentinel://:${DATA_PASSWORD}@${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${GROUP}/${db}` +
      `?sentinel_password=${SENTINEL_PASSWORD}`,
    async primaryPort() {
      const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', GROUP)) as [string, string];
      return Number(port);
    },
    node(port) {
      const r = new Redis({ port, host: '127.0.0.1', password: DATA_PASSWORD, maxRetriesPerRequest: 1 });
      r.on('error', () => {});
      clients.push(r);
      return r;
    },
    async kill(port) {
      const c = children.get(port);
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await exited;
    },
    async stop() {
      for (const r of clients) r.disconnect();
      await Promise.all([...children.keys()].map((port) => self.kill(port)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
