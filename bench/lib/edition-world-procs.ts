/**
 * The finrep processes of an edition benchmark: the real `bin/finrep.js` started with only the environment
 * the benchmark gives it, its output kept (stderr progress forwarded with a prefix), and — for the kill
 * test — a whole process tree (the worker and its Chromium) killed with SIGKILL the way a crashed container
 * dies.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { descendants, listProcs } from '../../src/collect/proc-tree.ts';

export const FINREP_BIN = path.resolve(import.meta.dirname, '../../bin/finrep.js');
/** The compiled entry (`npm run build`): what production processes (and the Docker image) run. */
export const FINREP_DIST = path.resolve(import.meta.dirname, '../../dist/main.js');

let entry = FINREP_BIN;
let nodeArgs: string[] = [];
/** Node flags put before the entry of every finrep process (those NODE_OPTIONS refuses, such as `--cpu-prof`). */
export function useNodeArgs(args: string[]): void {
  nodeArgs = args;
}
/** Which entry every finrep process of this benchmark runs: `dist` (compiled, default) or `tsx` (the sources through tsx). */
export function useEntry(kind: 'dist' | 'tsx'): void {
  entry = kind === 'dist' ? FINREP_DIST : FINREP_BIN;
}
/** Runs a compiled build elsewhere (`scripts/build.mjs --out DIR`): its `main.js`, safe from a rebuild of dist/. */
export function useEntryFile(file: string): void {
  entry = file;
}

/** A running finrep command. */
export interface FinrepProcess {
  role: string;
  child: ChildProcess;
  pid: number;
  startedAt: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>;
  exited: boolean;
}

/** Starts `node <entry> ...args` in `cwd` with PATH, HOME and `env` only. */
export function startFinrep(
  role: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  opts: { forward?: boolean } = {},
): FinrepProcess {
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const startedAt = performance.now();
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr = (stderr + text).slice(-200_000);
    if (!opts.forward) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) process.stderr.write(`  [${role}] ${line.slice(0, 300)}\n`);
  });
  const proc: FinrepProcess = {
    role,
    child,
    pid: child.pid ?? -1,
    startedAt,
    exited: false,
    done: new Promise((resolve) => {
      child.on('close', (code, signal) => {
        proc.exited = true;
        resolve({ code, signal, stdout, stderr, ms: performance.now() - startedAt });
      });
    }),
  };
  return proc;
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still running. */
export async function stopFinrep(
  p: FinrepProcess,
  graceMs = 30_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; graceful: boolean }> {
  if (p.exited) {
    const r = await p.done;
    return { code: r.code, signal: r.signal, graceful: true };
  }
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const outcome = await Promise.race([p.done, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    await killTree(p);
    const r = await p.done;
    return { code: r.code, signal: r.signal, graceful: false };
  }
  return { code: outcome.code, signal: outcome.signal, graceful: true };
}

/** SIGKILLs the process and every descendant (its Chromium, esbuild's service): nothing of it survives. */
export async function killTree(p: FinrepProcess): Promise<number> {
  const tree = descendants(p.pid, await listProcs());
  // The Node process first, so that it cannot react to its children dying.
  const ordered = [...tree.filter((t) => t.pid === p.pid), ...tree.filter((t) => t.pid !== p.pid)];
  for (const t of ordered) {
    try {
      process.kill(t.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return ordered.length;
}

/** The one JSON object `finrep run --json` prints on stdout (its last JSON line). */
export function parseSummary(stdout: string): Record<string, unknown> | null {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
