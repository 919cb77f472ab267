import { timingSafeEqual } from 'node:crypto';
import { BlockList } from 'node:net';

/** Loopback, private (RFC 1918, RFC 4193), link-local and shared (CGNAT) address ranges: the internal network. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv6');

/** Whether an address (as a socket reports it, IPv4-mapped IPv6 included) is on the internal network. */
export function isInternalAddress(address: string | undefined): boolean {
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4');
  return address.includes(':') ? INTERNAL.check(address, 'ipv6') : INTERNAL.check(address, 'ipv4');
}

/** Who is asking for /metrics: the socket's peer, the Authorization header, and whether a proxy forwarded it. */
export interface MetricsCaller {
  peer: string | undefined;
  authorization: string | undefined;
  /** An `X-Forwarded-For` or `Forwarded` header: the request came through a proxy (nginx), for someone else. */
  forwarded: boolean;
}

/** The answer to a caller refused: its status and one line saying why. */
export interface MetricsRefusal {
  status: 401 | 403;
  message: string;
}

/**
 * Decides whether a caller may read /metrics. With `METRICS_TOKEN` set, only `Authorization: Bearer <token>`
 * (compared in constant time). Without it, only a direct caller on the internal network (Prometheus in the
 * compose network, or curl on the host): a request relayed by a proxy is refused, whoever the proxy is, so
 * that a reverse proxy which forwards /metrics by mistake still does not publish it.
 */
export function refuseMetrics(caller: MetricsCaller, token: string | null): MetricsRefusal | null {
  if (token) {
    const m = /^Bearer\s+(\S+)$/i.exec(caller.authorization ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(token);
    if (given.length === want.length && timingSafeEqual(given, want)) return null;
    return { status: 401, message: 'send the METRICS_TOKEN as a bearer token' };
  }
  if (caller.forwarded || !isInternalAddress(caller.peer))
    return { status: 403, message: '/metrics answers the internal network only (or set METRICS_TOKEN)' };
  return null;
}
