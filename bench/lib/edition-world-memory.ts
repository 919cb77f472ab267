/**
 * Peak memory of the finrep processes of a benchmark run: every 200 ms, each watched process and all its
 * descendants, with Chromium's processes counted apart (the worker goal is about the Node process, not the
 * browser it drives). Chromium helpers that outlive their parent (reparented to init) are still counted
 * through their process group (Playwright starts the browser as a group leader).
 *
 * Two measures: VmRSS (`/proc/<pid>/status`), which counts a page shared by Chromium's dozen processes once
 * per process (its summed RSS over-counts the browser two to three times), and PSS (`/proc/<pid>/smaps_rollup`),
 * which splits each shared page between the processes that map it — summed over a process tree, what a
 * memory cgroup holding only that tree would be charged, near enough. The `*_pss_mb` peaks of a worker and
 * its Chromium *together* (at the same sample) are what a container limit has to hold.
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
  /** PSS (cgroup-like) of the Node process alone. */
  node_pss_mb: number;
  /** PSS of Chromium's processes summed. */
  chromium_pss_mb: number;
  /** PSS of everything together, summed at each sample: the peak a memory cgroup of the tree would see. */
  total_pss_mb: number;
  /** When `total_pss_mb` peaked, and what the Node process and Chromium held at that moment. */
  total_pss_peak_at_s: number;
  total_pss_peak_split: { node_mb: number; chromium_mb: number; other_mb: number };
  chromium_processes_max: number;
  /** Names (comm) of the other descendants seen, e.g. esbuild's service that tsx starts. */
  other_processes: string[];
  samples: number;
  /**
   * Every sample of the Node process alone: wall-clock time (ms since the epoch, to match with the
   * `run_stages` rows), RSS and PSS in MB. For per-stage peaks; not stored with the results.
   */
  timeline?: { at: number; rss_mb: number; pss_mb: number }[];
}

export interface MemorySampler {
  /** Starts watching `pid` under a role name (`run`, `worker-1`, …). */
  watch(role: string, pid: number): void;
  /** Stops sampling and returns the peaks, one entry per watched process. */
  stop(): Promise<MemoryPeaks[]>;
}

const isChromium = (p: ProcInfo) => /chrom/i.test(p.comm);

/** VmRSS and PSS of a process, in kB (0 when it has gone between the listing and the read). */
export async function memKb(pid: number): Promise<{ rss: number; pss: number }> {
  const kb = async (file: string, re: RegExp) => {
    try {
      return Number(re.exec(await readFile(`/proc/${pid}/${file}`, 'latin1'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  const [rss, pss] = await Promise.all([
    kb('status', /^VmRSS:\s+(\d+)\s+kB/m),
    kb('smaps_rollup', /^Pss:\s+(\d+)\s+kB/m),
  ]);
  return { rss, pss };
}

/** Samples every `intervalMs` (200 by default) until stopped. */
export function startMemorySampler(intervalMs = 200): MemorySampler {
  const t0 = performance.now();
  const watched = new Map<
    number,
    Omit<MemoryPeaks, 'other_processes' | 'timeline'> & {
      groups: Set<number>;
      others: Set<string>;
      timeline: NonNullable<MemoryPeaks['timeline']>;
    }
  >();
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
          if (isChromium(q)) {
            chromiumPids.add(p.pid);
            break;
          }
        }
      }
      for (const p of tree) if (chromiumPids.has(p.pid)) w.groups.add(p.pgid);
      const inTree = new Set(tree.map((p) => p.pid));
      const orphans = procs.filter((p) => !inTree.has(p.pid) && w.groups.has(p.pgid));
      for (const p of orphans) chromiumPids.add(p.pid);
      const all = [...tree, ...orphans];
      const mem = await Promise.all(all.map((p) => memKb(p.pid)));
      let node = 0;
      let other = 0;
      let chromium = 0;
      let chromiumCount = 0;
      const pss = { node: 0, other: 0, chromium: 0 };
      all.forEach((p, i) => {
        const m = mem[i]!;
        if (p.pid === w.pid) {
          node = m.rss;
          pss.node = m.pss;
        } else if (chromiumPids.has(p.pid)) {
          chromium += m.rss;
          pss.chromium += m.pss;
          chromiumCount++;
        } else {
          other += m.rss;
          pss.other += m.pss;
          w.others.add(p.comm);
        }
      });
      const mb = (kb: number) => Math.round(kb / 1024);
      w.timeline.push({ at: Date.now(), rss_mb: mb(node), pss_mb: mb(pss.node) });
      const at = () => Math.round((performance.now() - t0) / 100) / 10;
      w.node_pss_mb = Math.max(w.node_pss_mb, mb(pss.node));
      w.chromium_pss_mb = Math.max(w.chromium_pss_mb, mb(pss.chromium));
      if (mb(pss.node + pss.other + pss.chromium) > w.total_pss_mb) {
        w.total_pss_mb = mb(pss.node + pss.other + pss.chromium);
        w.total_pss_peak_at_s = at();
        w.total_pss_peak_split = { node_mb: mb(pss.node), chromium_mb: mb(pss.chromium), other_mb: mb(pss.other) };
      }
      if (mb(node) > w.node_mb) {
        w.node_mb = mb(node);
        w.node_peak_at_s = at();
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
      watched.set(pid, {
        role,
        pid,
        node_mb: 0,
        node_peak_at_s: 0,
        without_chromium_mb: 0,
        chromium_mb: 0,
        total_mb: 0,
        chromium_processes_max: 0,
        samples: 0,
        node_pss_mb: 0,
        chromium_pss_mb: 0,
        total_pss_mb: 0,
        total_pss_peak_at_s: 0,
        total_pss_peak_split: { node_mb: 0, chromium_mb: 0, other_mb: 0 },
        groups: new Set(),
        others: new Set(),
        timeline: [],
      });
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
      return [...watched.values()].map(({ groups: _g, others, ...peaks }) => ({
        ...peaks,
        other_processes: [...others].sort(),
      }));
    },
  };
}
