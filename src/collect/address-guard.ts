/**
 * Refuses URLs that point into the machine or its private network (SSRF). Checked before every hop; a later
 * hardening moves the check into the connection (so a DNS answer cannot change between check and connect).
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
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, CGNAT, multicast and reserved addresses (IPv4-mapped IPv6 too). */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** Throws a `FetchError` (`private_address`) when `url`'s host is, or resolves to, a private address. */
export async function assertPublicHost(url: URL, lookup: HostLookup): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const refuse = (address: string) =>
    new FetchError(`refused ${url.href}: ${host} is a private address (${address}); allowPrivate is off for this source`, {
      url: url.href, code: 'private_address',
    });
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw refuse(host);
    return;
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
}
