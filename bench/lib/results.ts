/** Where and how benchmark results are written: `bench/results/<name>.json`, with the machine they ran on. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../results');

/** The machine and the moment: a benchmark number means little without them. */
export function machine() {
  return {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    load_average: os.loadavg().map((x) => Math.round(x * 100) / 100),
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    at: new Date().toISOString(),
  };
}

/** Writes `bench/results/<name>.json` and returns its path. */
export function writeResult(name: string, result: object): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ name, machine: machine(), ...result }, null, 2)}\n`);
  return file;
}

/** The q-quantile (0..1) of sorted numbers, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Rounds for display and JSON. */
export const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export const say = (line: string) => process.stdout.write(`${line}\n`);
