/**
 * A full garbage collection on request, for the few points where a long-running process has just dropped a
 * large working set (an edition's composing) and is about to spend minutes on something else (sending):
 * V8 would otherwise keep that garbage — and the process's RSS — until its heap has grown by its own growing
 * factor. Enables V8's `gc` function once (`--expose-gc` set at run time, then taken from a fresh context);
 * where that is refused, this is a no-op.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}

/** The heap growth this process allows between full collections, unless NODE_OPTIONS or a flag set one. */
export const HEAP_GROWING_PERCENT = 25;

/**
 * Makes V8 start a full collection once the heap has grown by `percent` over what the last one kept, instead
 * of its default factor (up to ×4 on a small heap): a pipeline process allocates hundreds of MB a minute
 * (pages, feeds, LLM replies, messages) around a live set near 120 MB, and with the default V8 lets the
 * garbage pile up to twice that before collecting. A little more GC work for a steady RSS. `nodeFlags` are
 * the process's own (execArgv and NODE_OPTIONS): an operator's `--heap-growing-percent` there wins.
 */
export function limitHeapGrowth(nodeFlags: readonly string[], percent = HEAP_GROWING_PERCENT): boolean {
  if (nodeFlags.some((a) => a.includes('heap-growing-percent'))) return false;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return true;
}

/**
 * Makes V8 do its young-generation collections and incremental-marking steps when JavaScript allocates,
 * never as event-loop tasks. V8 schedules those tasks to run while the loop is "idle" — which in a pipeline
 * process is exactly while it awaits a reply from PostgreSQL, a site or an SMTP server — and the reply that
 * arrives meanwhile waits for the collection (2–4 ms on a 2-vCPU machine): the dedup lookup's p99 went from
 * ~2 ms to ~0.9 ms without them (`docs/dedup.md` § benchmark). The same work, done at other moments. An
 * operator's own `--[no-]minor-gc-task` / `--[no-]incremental-marking-task` in `nodeFlags` wins.
 */
export function collectOnAllocation(nodeFlags: readonly string[]): boolean {
  if (nodeFlags.some((a) => a.includes('minor-gc-task') || a.includes('incremental-marking-task'))) return false;
  setFlagsFromString('--no-minor-gc-task');
  setFlagsFromString('--no-incremental-marking-task');
  return true;
}

/** The GC settings of a process that runs the pipeline (`worker`, `start`, `run`): both of the above. `nodeFlags`: execArgv and NODE_OPTIONS. */
export function tunePipelineGc(nodeFlags: readonly string[]): void {
  limitHeapGrowth(nodeFlags);
  collectOnAllocation(nodeFlags);
}
