/**
 * A second "host" on this machine: a network namespace joined to this one by a veth pair, which a test can
 * cut (`ip link set … down`: packets stop both ways, no RST — a switch port dying, not a process) and heal.
 *
 * Processes inside see the same `127.0.0.1:<port>` services as outside: a forwarder inside the namespace
 * listens on its loopback and relays over the veth to a forwarder here, which relays to 127.0.0.1. Needs
 * root (CAP_NET_ADMIN) and iproute2; {@link netnsProblem} says why not otherwise.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Why namespaces cannot be used here, or null when they can. */
export function netnsProblem(): string | null {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)';
  const name = `fhprobe${process.pid % 100000}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `ip netns add failed (${(err as Error).message.split('\n')[0]})`;
  }
}

export interface Netns {
  name: string;
  /** This side's address on the veth pair: what processes inside reach this host at, relay or not. */
  hostIp: string;
  /** Prefix for a command to run inside (`ip netns exec <name>`): the command keeps its pid. */
  wrap: string[];
  /** Cuts the link: nothing passes either way until {@link heal}. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

const INNER = `
import net from 'node:net';
const [remote, ...ports] = process.argv.slice(2);
let pending = ports.length;
for (const port of ports.map(Number))
  net
    .createServer((c) => {
      const up = net.connect(port, remote);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    })
    .listen(port, '127.0.0.1', () => --pending === 0 && console.log('ready'));
`;

/** Relays `listen:port` to `127.0.0.1:port` for each port (the outer half). */
function relay(host: string, ports: number[]): Promise<{ close(): void }> {
  const sockets = new Set<net.Socket>();
  const servers = ports.map((port) =>
    net.createServer((c) => {
      const up = net.connect(port, '127.0.0.1');
      for (const s of [c, up]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      }
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    }),
  );
  return Promise.all(
    servers.map(
      (s, i) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(ports[i], host, resolve)),
    ),
  ).then(() => ({
    close() {
      for (const s of servers) s.close();
      for (const s of sockets) s.destroy();
    },
  }));
}

/** A namespace on 10.213.<n>.0/30 reaching this host's `ports` on 127.0.0.1. */
export async function startNetns(ports: number[]): Promise<Netns> {
  const n = 1 + (process.pid % 250);
  const name = `finrep-ha-${process.pid}`;
  const outer = `fhh${process.pid % 100000}`;
  const inner = `fhn${process.pid % 100000}`;
  const hostIp = `10.213.${n}.1`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const inNs = (...args: string[]) => ip('netns', 'exec', name, 'ip', ...args);
  ip('netns', 'add', name);
  ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
  ip('link', 'set', inner, 'netns', name);
  ip('addr', 'add', `${hostIp}/30`, 'dev', outer);
  ip('link', 'set', outer, 'up');
  inNs('addr', 'add', `10.213.${n}.2/30`, 'dev', inner);
  inNs('link', 'set', inner, 'up');
  inNs('link', 'set', 'lo', 'up');
  const outerRelay = await relay(hostIp, ports);
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-netns-'));
  writeFileSync(path.join(dir, 'relay.mjs'), INNER);
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', name, process.execPath, path.join(dir, 'relay.mjs'), hostIp, ...ports.map(String)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes('ready') && resolve());
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`netns relay exited with ${code}: ${out}`)));
  });
  return {
    name,
    hostIp,
    wrap: ['ip', 'netns', 'exec', name],
    cut: () => ip('link', 'set', outer, 'down'),
    heal: () => ip('link', 'set', outer, 'up'),
    async close() {
      child.kill('SIGKILL');
      outerRelay.close();
      try {
        ip('link', 'del', outer);
      } catch {
        /* gone with the namespace */
      }
      ip('netns', 'del', name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
