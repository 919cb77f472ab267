/**
 * A Redis and a PostgreSQL of a test's own, which it may stop and start at will — never the shared ones on
 * 6379 / 5432, which other test files (and other people) use at the same time.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/** A port free on 127.0.0.1 at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A redis-server without persistence: a restart loses every key, the worst case for the queue. */
export interface PrivateRedis {
  url: (db?: number) => string;
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const self: PrivateRedis = {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    async start() {
      const c = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      let out = '';
      await new Promise<void>((resolve, reject) => {
        c.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ready to accept connections')) resolve();
        });
        c.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
      });
    },
    async kill() {
      child?.kill('SIGKILL');
      await exited;
      child = null;
    },
  };
  await self.start();
  return self;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL 15 cluster in a temp folder (trust auth, no fsync), on a free port. initdb refuses to run as
 * root: as root, the cluster belongs to the `postgres` user and its commands run through `runuser`.
 */
export interface PrivatePostgres {
  port: number;
  /** The admin URL (database `postgres`), or another database's. */
  url: (db?: string) => string;
  createDatabase(name: string): Promise<string>;
  start(): Promise<void>;
  /** `pg_ctl stop`: `fast` disconnects every client (57P01); `immediate` is a crash (recovery at start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

export const HAS_PG15 = existsSync(path.join(PG_BIN, 'initdb'));

/**
 * `listen`: more addresses to listen on besides 127.0.0.1 (each trusted from its /24, as a private network
 * between hosts would be).
 */
export async function privatePostgres(opts: { listen?: string[] } = {}): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-pg-'));
  const data = path.join(dir, 'data');
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  // Asynchronous: this process serves the test's world, SMTP and LLM while the server stops and starts.
  const run = async (bin: string, args: string[]) => {
    const [cmd, argv] = root
      ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args]]
      : [path.join(PG_BIN, bin), args];
    await promisify(execFile)(cmd as string, argv as string[], { cwd: dir, timeout: 120_000 });
  };
  const listen = ['127.0.0.1', ...(opts.listen ?? [])].join(',');
  const options = `-p ${port} -k ${dir} -c listen_addresses=${listen} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const self: PrivatePostgres = {
    port,
    url,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    start: () => run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']),
    stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']),
    async destroy() {
      await self.stop('immediate').catch(() => {
        /* not running */
      });
      // Should pg_ctl have failed, the postmaster still goes.
      try {
        const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const nets = (opts.listen ?? []).map((ip) => `host all all ${ip.split('.').slice(0, 3).join('.')}.0/24 trust\n`);
    if (nets.length) appendFileSync(path.join(data, 'pg_hba.conf'), nets.join(''));
    await self.start();
  } catch (err) {
    await self.destroy();
    throw err;
  }
  return self;
}
