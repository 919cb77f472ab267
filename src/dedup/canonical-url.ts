/**
 * Canonical URLs for exact dedup: the same article reached through a share link, a campaign link or a
 * differently ordered query string gets one key. Only parameters known to be tracking noise are dropped;
 * anything that might identify content (`id`, `aid`, `p`, …) stays.
 */
import { createHash } from 'node:crypto';

/** Dropped on every host. */
const TRACKING = new Set([
  'spm',
  'from',
  'fbclid',
  'gclid',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'yclid',
  'mc_cid',
  'mc_eid',
  'ref',
  'ref_src',
  'ref_url',
  '_hsenc',
  '_hsmi',
  'igshid',
  'scm',
  'tt_from',
  'utm',
  'wt.mc_id',
  'cmpid',
  'ncid',
  'sr_share',
  'isappinstalled',
  'timestamp_share',
]);
/** Dropped on every host when a name starts with one of these. */
const TRACKING_PREFIXES = ['utm_', 'share', 'spm_', 'mtm_', 'pk_'];
/** Host-specific noise (WeChat articles carry their identity in __biz/mid/idx/sn). */
const HOST_TRACKING: Record<string, Set<string>> = {
  'mp.weixin.qq.com': new Set([
    'chksm',
    'scene',
    'srcid',
    'mpshare',
    'clicktime',
    'enterid',
    'sessionid',
    'subscene',
    'ascene',
    'pass_ticket',
    'exportkey',
    'nettype',
    'abtest_cookie',
    'devicetype',
    'version',
    'lang',
    'wx_header',
    'sharer_sharetime',
    'sharer_shareid',
    'key',
    'uin',
  ]),
};
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

function isTracking(name: string, host: string): boolean {
  const key = name.toLowerCase();
  return (
    TRACKING.has(key) || TRACKING_PREFIXES.some((p) => key.startsWith(p)) || (HOST_TRACKING[host]?.has(key) ?? false)
  );
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * The canonical form of `url`: lower-case scheme and host, no default port, no fragment (except `#!`/`#/`
 * routes, which address content in single-page sites), tracking parameters removed, remaining parameters
 * sorted by name (original encoding kept), no empty `?`. A string that is not an absolute URL is
 * returned trimmed and unchanged. Idempotent.
 *
 * @example canonicalUrl('HTTPS://Example.com:443/a?utm_source=x&b=2&a=1#top') // 'https://example.com/a?a=1&b=2'
 */
export function canonicalUrl(url: string): string {
  const input = url.trim();
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    return input;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return u.href;
  if (u.port === DEFAULT_PORTS[u.protocol]) u.port = '';
  u.hostname = u.hostname.replace(/\.$/, '');
  const keepHash = /^#[!/]/.test(u.hash);
  const params = u.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => ({ pair, name: decodeName(pair.split('=')[0] ?? '') }))
    .filter((p) => !isTracking(p.name, u.hostname));
  // Stable sort: repeated names keep their relative order (it can matter: `a=1&a=2`).
  params.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const search = params.length ? `?${params.map((p) => p.pair).join('&')}` : '';
  return `${u.protocol}//${u.host}${u.pathname}${search}${keepHash ? u.hash : ''}`;
}

/**
 * Exact-dedup key: the first 32 hex digits of the SHA-256 of the canonical URL.
 *
 * @example urlHash('https://example.com/a?utm_source=x') === urlHash('https://example.com/a')
 */
export function urlHash(url: string): string {
  return createHash('sha256').update(canonicalUrl(url)).digest('hex').slice(0, 32);
}
