/**
 * The browser's processes as Linux `/proc` shows them: found at launch, weighed for recycling, and reaped at
 * close. Chromium's zygotes can outlive the browser for a second or more (reparented to init), so "close the
 * browser" alone does not guarantee that nothing is left.
 * Everything here degrades to "unknown" (null / empty) where `/proc` is not available.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';

/** One process, as `/proc/<pid>/stat` describes it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group: Playwright starts the browser as a group leader, and its helpers stay in the group. */
  pgid: number;
  comm: string;
  /** R, S, D, Z (exited, not yet reaped by its parent), … */
  state: string;
  /** Start time in clock ticks since boot: with the pid, an identity that survives pid reuse. */
  start: number;
}

/** True when this system has a Linux-style `/proc`. */
export const HAS_PROC = existsSync('/proc/self/stat');

/** Reads one process's stat line; null when it has gone. */
export async function readProc(pid: number): Promise<ProcInfo | null> {
  try {
    const line = await readFile(`/proc/${pid}/stat`, 'latin1');
    // comm may itself contain spaces and parentheses: it ends at the last ')'.
    const close = line.lastIndexOf(')');
    const rest = line.slice(close + 2).split(' ');
    return {
      pid,
      comm: line.slice(line.indexOf('(') + 1, close),
      state: rest[0]!,
      ppid: Number(rest[1]),
      pgid: Number(rest[2]),
      start: Number(rest[19]),
    };
  } catch {
    return null;
  }
}

/** Every process on the system (empty without `/proc`). */
export async function listProcs(): Promise<ProcInfo[]> {
  if (!HAS_PROC) return [];
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const procs = await Promise.all(pids.map(readProc));
  return procs.filter((p): p is ProcInfo => p !== null);
}

/** `root` and all its descendants among `procs`. */
export function descendants(root: number, procs: readonly ProcInfo[]): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out = procs.filter((p) => p.pid === root);
  for (let i = 0; i < out.length; i++) out.push(...(byParent.get(out[i]!.pid) ?? []));
  return out;
}

/**
 * The processes of the browser whose main process is `root`: its descendants, and members of its process
 * group that outlived it (reparented to init when it exited or crashed).
 */
export function browserTree(root: ProcInfo, procs: readonly ProcInfo[]): ProcInfo[] {
  const tree = descendants(root.pid, procs);
  const strays = procs.filter(
    (p) => p.pgid === root.pid && p.start >= root.start && !tree.some((t) => t.pid === p.pid),
  );
  return [...tree, ...strays];
}

/** Processes whose command line holds the argument `arg` exactly; only this user's processes are readable. */
export async function procsWithArg(arg: string, procs: readonly ProcInfo[]): Promise<ProcInfo[]> {
  const found = await Promise.all(
    procs.map(async (p) => {
      try {
        return (await readFile(`/proc/${p.pid}/cmdline`, 'latin1')).split('\0').includes(arg) ? p : null;
      } catch {
        return null;
      }
    }),
  );
  return found.filter((p): p is ProcInfo => p !== null);
}

/**
 * Memory of `procs` in MB: the sum of their proportional set sizes (shared pages split between the processes
 * that map them, so the sum approximates what the tree costs), or of their RSS where PSS is unreadable.
 */
export async function memoryMb(procs: readonly ProcInfo[]): Promise<number | null> {
  if (!HAS_PROC || procs.length === 0) return null;
  const kb = await Promise.all(
    procs.map(async (p) => {
      try {
        const m = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${p.pid}/smaps_rollup`, 'latin1'));
        if (m) return Number(m[1]);
      } catch {
        /* fall back to RSS */
      }
      try {
        return (Number((await readFile(`/proc/${p.pid}/statm`, 'latin1')).split(' ')[1]) * 4096) / 1024;
      } catch {
        return 0;
      }
    }),
  );
  return Math.round(kb.reduce((a, b) => a + b, 0) / 1024);
}

/** Those of `procs` still running as the same process (same pid and start time; zombies have exited). */
export async function stillAlive(procs: readonly ProcInfo[]): Promise<ProcInfo[]> {
  const now = await Promise.all(procs.map((p) => readProc(p.pid)));
  return procs.filter((p, i) => now[i] !== null && now[i]!.start === p.start && now[i]!.state !== 'Z');
}

/**
 * Waits up to `graceMs` for `procs` to exit by themselves, then SIGKILLs the ones left (each checked to be
 * the same process first). Returns how many had to be killed.
 */
export async function reap(procs: readonly ProcInfo[], graceMs: number): Promise<number> {
  const deadline = Date.now() + graceMs;
  let left = await stillAlive(procs);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await stillAlive(left);
  }
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* exited meanwhile */
    }
  }
  return left.length;
}
