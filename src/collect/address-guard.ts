/**
 * Refuses URLs that point into the machine or its private network (SSRF). A host name is resolved once per
 * hop, every address checked, and the request then connects to the checked address (`vettedAddress`), so
 * a DNS answer that changes between the check and the connection (DNS rebinding) is never followed.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { FetchError } from './errors.ts';

/** Resolves a host name to its addresses (injectable so tests need no DNS). */
export type HostLookup = (hostname: string) => Promise<string[]>;

/** The system resolver (node:dns `lookup`, all addresses). */
export const systemLookup: HostLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  // IPv4-compatible (::a.b.c.d, deprecated; includes :: and ::1), discard, loopback handled by ::/96.
  ['::', 96],
  ['100::', 64],
  // NAT64 local-use prefix, Teredo, documentation, 6to4 (deprecated, RFC 7526: relays reach any IPv4).
  ['64:ff9b:1::', 48],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  // Unique local, site-local (deprecated), link-local, multicast.
  ['fc00::', 7],
  ['fec0::', 10],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');
const nat64 = new BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');

/**
 * True for loopback, private, link-local, CGNAT, multicast and reserved addresses, and for IPv6 forms that
 * reach them: IPv4-mapped, IPv4-compatible, 6to4, Teredo, site-local, and NAT64 (`64:ff9b::/96`) when the
 * IPv4 address it embeds is itself private (NAT64 of a public address is how an IPv6-only network reaches it).
 */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (nat64.check(ip, 'ipv6')) return blocked.check(embeddedIpv4(ip), 'ipv4');
  return blocked.check(ip, 'ipv6');
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function embeddedIpv4(ip: string): string {
  const tail = ip.slice(ip.lastIndexOf(':') + 1);
  if (tail.includes('.')) return tail;
  const groups = ip.split(':');
  const lo = parseInt(groups.at(-1) || '0', 16);
  const hi = ip.endsWith('::') ? 0 : parseInt(groups.at(-2) || '0', 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/**
 * The address a request to `url` must connect to: null when the host is an IP literal (it connects to
 * itself), otherwise the first address the host resolves to (IPv4 first), after every address was checked.
 * Throws a `FetchError` (`private_address`) when the host is, or resolves to, a private address.
 */
export async function vettedAddress(url: URL, lookup: HostLookup): Promise<string | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const refuse = (address: string) =>
    new FetchError(
      `refused ${url.href}: ${host} is a private address (${address}); allowPrivate is off for this source`,
      {
        url: url.href,
        code: 'private_address',
      },
    );
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw refuse(host);
    return null;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw refuse('localhost');
  let addresses: string[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    throw new FetchError(`cannot resolve ${host} (${url.href})`, { url: url.href, code: 'network', cause: err });
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad) throw refuse(bad);
  const address = addresses.find((a) => isIP(a) === 4) ?? addresses.find((a) => isIP(a) === 6);
  if (!address)
    throw new FetchError(`cannot resolve ${host} (${url.href}): no address`, { url: url.href, code: 'network' });
  return address;
}

/** Throws a `FetchError` (`private_address`) when `url`'s host is, or resolves to, a private address. */
export async function assertPublicHost(url: URL, lookup: HostLookup): Promise<void> {
  await vettedAddress(url, lookup);
}
