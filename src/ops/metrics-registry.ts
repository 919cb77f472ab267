/**
 * The Prometheus registry of a process, built when `/metrics` is first asked for (prom-client loads here,
 * not at start): the process's own families (metrics.ts), its disk space, Node's process metrics, and —
 * on the one process that reports for the whole installation (web, or `finrep start`) — the families read
 * from the database and the queue at scrape time (metrics-cluster.ts).
 */
import { statfs } from 'node:fs/promises';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Metric } from 'prom-client';
import { breakerState, CallbackGauge, FAMILIES } from './metrics.ts';
import type { Family, Sample } from './metrics.ts';

export { Registry };

/** What goes into a registry besides the process's own families. */
export interface RegistryOptions {
  /** The data folder whose file system's space is reported (`finrep_disk_*_bytes`). */
  dataDir: string;
  /** Families read at scrape time from the database and the queue (web and embedded only). */
  cluster?: readonly Family[];
}

/** Every family of this process in a new registry. */
export function buildRegistry(opts: RegistryOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const own: Family[] = [...Object.values(FAMILIES), breakerState, ...diskFamilies(opts.dataDir)];
  for (const f of [...own, ...(opts.cluster ?? [])]) registry.registerMetric(f as unknown as Metric);
  return registry;
}

/**
 * The data folder's file system: size and space left to unprivileged users, read at scrape time (the
 * `disk > 80 %` alert divides them; no node_exporter is needed for it).
 */
function diskFamilies(dataDir: string): Family[] {
  const read = async (pick: (s: { bsize: number; blocks: number; bavail: number }) => number): Promise<Sample[]> => {
    try {
      const s = await statfs(dataDir);
      return [{ labels: { volume: 'data' }, value: pick(s) }];
    } catch {
      return []; // no data folder in this process (a test server): nothing to report
    }
  };
  return [
    new CallbackGauge('finrep_disk_size_bytes', "Size of the data folder's file system.", () =>
      read((s) => s.blocks * s.bsize),
    ),
    new CallbackGauge(
      'finrep_disk_free_bytes',
      "Space left on the data folder's file system (for finrep's user).",
      () => read((s) => s.bavail * s.bsize),
    ),
  ];
}
