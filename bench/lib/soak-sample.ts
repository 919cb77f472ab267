/**
 * One soak sample (`bench/soak.ts`), taken as each edition finishes: per long-running process its RSS and
 * PSS (the Node process alone, and Chromium's processes under it summed), its open file descriptors
 * (`/proc/<pid>/fd`); Redis' `INFO` used_memory and connected_clients (server-wide) with the clients and keys
 * of the soak's own db; and the PostgreSQL connections to the soak's database (`pg_stat_activity`).
 */
import { readdir } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { descendants, listProcs } from '../../src/collect/proc-tree.ts';
import { memKb } from './edition-world-memory.ts';

export interface ProcessSample {
  rss_mb: number;
  pss_mb: number;
  fds: number;
  /** Chromium's processes under it, summed (0 when none runs). */
  chromium_rss_mb: number;
  chromium_pss_mb: number;
  chromium_processes: number;
}

export interface SoakSample {
  /** Seconds since the soak began. */
  at_s: number;
  processes: Record<string, ProcessSample>;
  redis: { used_memory_mb: number; connected_clients: number; db_clients: number; db_keys: number };
  pg_connections: number;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

async function fdCount(pid: number): Promise<number> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return 0;
  }
}

/** Samples the processes by role, Redis (its db index `db`) and the database `database`. */
export async function takeSample(o: {
  t0: number;
  pids: Record<string, number>;
  redis: Redis;
  db: number;
  pg: pg.Client;
  database: string;
}): Promise<SoakSample> {
  const procs = await listProcs();
  const processes: Record<string, ProcessSample> = {};
  for (const [role, pid] of Object.entries(o.pids)) {
    const chromium = descendants(pid, procs).filter((p) => p.pid !== pid && /chrom/i.test(p.comm));
    const [self, fds, ...chrome] = await Promise.all([memKb(pid), fdCount(pid), ...chromium.map((p) => memKb(p.pid))]);
    processes[role] = {
      rss_mb: mb(self.rss),
      pss_mb: mb(self.pss),
      fds,
      chromium_rss_mb: mb(chrome.reduce((n, m) => n + m.rss, 0)),
      chromium_pss_mb: mb(chrome.reduce((n, m) => n + m.pss, 0)),
      chromium_processes: chromium.length,
    };
  }
  const [memory, clients, list, keys, activity] = await Promise.all([
    o.redis.info('memory'),
    o.redis.info('clients'),
    o.redis.client('LIST') as Promise<string>,
    o.redis.dbsize(),
    o.pg.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [o.database]),
  ]);
  const field = (info: string, name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    at_s: Math.round((performance.now() - o.t0) / 100) / 10,
    processes,
    redis: {
      used_memory_mb: Math.round(field(memory, 'used_memory') / 104857.6) / 10,
      connected_clients: field(clients, 'connected_clients'),
      // The bench's own connection counts too: it sits on the same db.
      db_clients: list.split('\n').filter((l) => new RegExp(`\\bdb=${o.db}\\b`).test(l)).length,
      db_keys: keys,
    },
    pg_connections: Number(activity.rows[0]?.n ?? 0),
  };
}
