/**
 * A cgroup v1 memory controller group for `bench/load.ts --cgroup`: the limit a container's `memory: 1G`
 * sets, on the host (root, a writable /sys/fs/cgroup/memory). Swap is limited to the same amount
 * (memory.memsw.limit_in_bytes, when the kernel accounts swap), so the group cannot page out to stay under
 * the limit. A process is moved in as it is spawned (what it allocated before stays charged outside: a
 * few MB at most), and every process it starts afterwards (Chromium) is in the group from birth.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup/memory';
const MB = 1024 * 1024;

export interface CgroupReading {
  limit_mb: number;
  usage_mb: number;
  /** memory.max_usage_in_bytes: the group's peak since it was made (page cache included). */
  max_usage_mb: number;
  /** How often the limit was hit (the kernel then reclaimed pages to stay under it). */
  failcnt: number;
  memsw_failcnt: number | null;
  /** From memory.oom_control. */
  under_oom: number;
  oom_kill: number;
  /** From memory.stat at the moment of reading: anonymous memory (rss) and page cache. */
  rss_mb: number;
  cache_mb: number;
}

export interface MemoryCgroup {
  /** The group's path under the memory controller, e.g. `finrep-load-1234`. */
  name: string;
  /** Moves a process (and its future children) into the group. */
  add(pid: number): void;
  read(): CgroupReading;
  /** Removes the group (once empty: its processes have exited). */
  remove(): void;
}

/** Whether this host lets the benchmark make a memory cgroup (cgroup v1, writable). */
export function cgroupAvailable(): boolean {
  return existsSync(path.join(ROOT, 'cgroup.procs'));
}

/** Makes a memory cgroup with `limitMb` of memory (and as much memory + swap). */
export function createMemoryCgroup(name: string, limitMb: number): MemoryCgroup {
  const dir = path.join(ROOT, name);
  mkdirSync(dir);
  try {
    return open(name, dir, limitMb);
  } catch (err) {
    rmdirSync(dir);
    throw err;
  }
}

function open(name: string, dir: string, limitMb: number): MemoryCgroup {
  const file = (f: string) => path.join(dir, f);
  const write = (f: string, v: string | number) => writeFileSync(file(f), String(v));
  const num = (f: string) => Number(readFileSync(file(f), 'utf8').trim());
  write('memory.limit_in_bytes', limitMb * MB);
  const memsw = existsSync(file('memory.memsw.limit_in_bytes'));
  if (memsw) write('memory.memsw.limit_in_bytes', limitMb * MB);
  return {
    name,
    add(pid) {
      write('cgroup.procs', pid);
    },
    read() {
      const oom = Object.fromEntries(
        readFileSync(file('memory.oom_control'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ') as [string, string]),
      );
      const stat = Object.fromEntries(
        readFileSync(file('memory.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ') as [string, string]),
      );
      const mb = (b: number) => Math.round((b / MB) * 10) / 10;
      return {
        limit_mb: mb(num('memory.limit_in_bytes')),
        usage_mb: mb(num('memory.usage_in_bytes')),
        max_usage_mb: mb(num('memory.max_usage_in_bytes')),
        failcnt: num('memory.failcnt'),
        memsw_failcnt: memsw ? num('memory.memsw.failcnt') : null,
        under_oom: Number(oom.under_oom ?? 0),
        oom_kill: Number(oom.oom_kill ?? 0),
        rss_mb: mb(Number(stat.total_rss ?? stat.rss ?? 0)),
        cache_mb: mb(Number(stat.total_cache ?? stat.cache ?? 0)),
      };
    },
    remove() {
      if (existsSync(dir)) rmdirSync(dir);
    },
  };
}
