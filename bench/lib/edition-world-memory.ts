/**
 * Peak memory of the finrep processes of a benchmark run: every 200 ms, the VmRSS (`/proc/<pid>/status`) of
 * each watched process and of all its descendants, with Chromium's processes counted apart (the worker goal
 * is about the Node process, not the browser it drives). Chromium helpers that outlive their parent
 * (reparented to init) are still counted through their process group (Playwright starts the browser as a
 * group leader).
 */
import { readFile } from 'node:fs/promises';
import { descendants, listProcs } from '../../src/collect/proc-tree.ts';
import type { ProcInfo } from '../../src/collect/proc-tree.ts';

/** Peaks of one watched process, in MB (each a peak of its own: they need not coincide). */
export interface MemoryPeaks {
  role: string;
  pid: number;
  /** The Node process alone. */
  node_mb: number;
  /** The process and its descendants except Chromium (esbuild's service, …). */
  without_chromium_mb: number;
  /** Chromium's processes (browser, zygotes, renderers) summed. */
  chromium_mb: number;
  /** Everything together. */
  total_mb: number;
  /** When the Node process reached its peak, in seconds since sampling began (to match with the stages). */
  node_peak_at_s: number;
  chromium_processes_max: number;
  /** Names (comm) of the other descendants seen, e.g. esbuild's service that tsx starts. */
  other_processes: string[];
  samples: number;
}

export interface MemorySampler {
  /** Starts watching `pid` under a role name (`run`, `worker-1`, …). */
  watch(role: string, pid: number): void;
  /** Stops sampling and returns the peaks, one entry per watched process. */
  stop(): Promise<MemoryPeaks[]>;
}

const isChromium = (p: ProcInfo) => /chrom/i.test(p.comm);

async function vmRssKb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'latin1');
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0; // gone between the listing and the read
  }
}

/** Samples every `intervalMs` (200 by default) until stopped. */
export function startMemorySampler(intervalMs = 200): MemorySampler {
  const t0 = performance.now();
  const watched = new Map<number, Omit<MemoryPeaks, 'other_processes'> & { groups: Set<number>; others: Set<string> }>();
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();

  const sample = async () => {
    if (watched.size === 0) return;
    const procs = await listProcs();
    for (const w of watched.values()) {
      const tree = descendants(w.pid, procs);
      if (tree.length === 0) continue; // not started yet, or gone
      // Chromium's processes: named so, or started by one (its wrapper script's `ls`/`tr`, helpers named `exe`).
      const byPid = new Map(tree.map((p) => [p.pid, p]));
      const chromiumPids = new Set<number>();
      for (const p of tree) {
        for (let q: ProcInfo | undefined = p; q && q.pid !== w.pid; q = byPid.get(q.ppid)) {
          if (isChromium(q)) { chromiumPids.add(p.pid); break; }
        }
      }
      for (const p of tree) if (chromiumPids.has(p.pid)) w.groups.add(p.pgid);
      const inTree = new Set(tree.map((p) => p.pid));
      const orphans = procs.filter((p) => !inTree.has(p.pid) && w.groups.has(p.pgid));
      for (const p of orphans) chromiumPids.add(p.pid);
      const all = [...tree, ...orphans];
      const rss = await Promise.all(all.map((p) => vmRssKb(p.pid)));
      let node = 0;
      let other = 0;
      let chromium = 0;
      let chromiumCount = 0;
      all.forEach((p, i) => {
        if (p.pid === w.pid) node = rss[i]!;
        else if (chromiumPids.has(p.pid)) { chromium += rss[i]!; chromiumCount++; } else { other += rss[i]!; w.others.add(p.comm); }
      });
      const mb = (kb: number) => Math.round(kb / 1024);
      if (mb(node) > w.node_mb) {
        w.node_mb = mb(node);
        w.node_peak_at_s = Math.round((performance.now() - t0) / 100) / 10;
      }
      w.without_chromium_mb = Math.max(w.without_chromium_mb, mb(node + other));
      w.chromium_mb = Math.max(w.chromium_mb, mb(chromium));
      w.total_mb = Math.max(w.total_mb, mb(node + other + chromium));
      w.chromium_processes_max = Math.max(w.chromium_processes_max, chromiumCount);
      w.samples++;
    }
  };
  const timer = setInterval(() => {
    busy = busy.then(sample).catch(() => {});
  }, intervalMs);

  return {
    watch(role, pid) {
      if (stopped) return;
      watched.set(pid, { role, pid, node_mb: 0, node_peak_at_s: 0, without_chromium_mb: 0, chromium_mb: 0, total_mb: 0, chromium_processes_max: 0, samples: 0, groups: new Set(), others: new Set() });
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
      return [...watched.values()].map(({ groups: _g, others, ...peaks }) => ({ ...peaks, other_processes: [...others].sort() }));
    },
  };
}
