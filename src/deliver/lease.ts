import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who holds a delivery row: `host:pid:nonce`. The nonce tells two lives of the same pid apart (a container
 * restarted as pid 1 again).
 *
 * @example newLeaseOwner(); // 'worker-3:4182:9f3a01c2'
 */
export function newLeaseOwner(host = hostname(), pid = process.pid): string {
  return `${host}:${pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * This process's owner id. One per process, not per run: two runs in one long-lived worker must not take
 * each other for an earlier, dead life of the same pid.
 */
export const PROCESS_OWNER = newLeaseOwner();

function parse(owner: string): { host: string; pid: number; nonce: string } | null {
  const m = /^(.*):(\d+):([0-9a-f]+)$/.exec(owner);
  return m ? { host: m[1]!, pid: Number(m[2]), nonce: m[3]! } : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `owner` is provably gone without waiting for its lease to expire: it ran on this machine and
 * its process no longer exists, or it is an earlier life of this very pid. An owner on another machine is
 * never judged here (its lease expiry decides). A row without an owner predates leases: gone.
 */
export function ownerIsGone(owner: string | null, self: string, isAlive: (pid: number) => boolean = alive): boolean {
  if (owner === null) return true;
  if (owner === self) return false;
  const o = parse(owner);
  const me = parse(self);
  if (!o || !me || o.host !== me.host) return false;
  if (o.pid === me.pid) return o.nonce !== me.nonce;
  return !isAlive(o.pid);
}
