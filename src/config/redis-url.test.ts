import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.ts';
import { parseRedisUrl, redactRedisUrl, redisOptions, redisUrlSecrets } from './redis-url.ts';
import { redactSecrets } from '../ops/health.ts';

describe('parseRedisUrl', () => {
  const cases = [
    {
      name: 'one server, defaults',
      url: 'redis://cache',
      want: { kind: 'server', host: 'cache', port: 6379, tls: false, username: null, password: null, db: 0 },
    },
    {
      name: 'managed Redis: TLS, user and password, database',
      url: 'rediss://default:s%40cret@redis.example.com:6380/3',
      want: {
        kind: 'server',
        host: 'redis.example.com',
        port: 6380,
        tls: true,
        username: 'default',
        password: 's@cret',
        db: 3,
      },
    },
    {
      name: 'Sentinel: several sentinels, default port, password, database',
      url: 'redis+sentinel://:pw@s1,s2:26380,[::1]:26381/mymaster/2',
      want: {
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        name: 'mymaster',
        tls: false,
        username: null,
        password: 'pw',
        db: 2,
        sentinelUsername: null,
        sentinelPassword: null,
      },
    },
    {
      name: 'Sentinel over TLS with the sentinels’ own credentials',
      url: 'rediss+sentinel://app:pw@s1:26379/cache?sentinel_username=mon&sentinel_password=spw',
      want: {
        kind: 'sentinel',
        tls: true,
        username: 'app',
        password: 'pw',
        name: 'cache',
        db: 0,
        sentinelUsername: 'mon',
        sentinelPassword: 'spw',
      },
    },
  ];
  for (const c of cases) it(c.name, () => expect(parseRedisUrl(c.url)).toMatchObject(c.want));

  const bad = [
    { name: 'no primary name', url: 'redis+sentinel://s1:26379', error: /primary name/ },
    { name: 'too many path parts', url: 'redis+sentinel://s1/mymaster/0/x', error: /primary name/ },
    { name: 'database not a number', url: 'redis://h/abc', error: /database must be a number/ },
    { name: 'unknown option', url: 'redis://h/0?timeout=5', error: /unknown option "timeout"/ },
    { name: 'sentinel option on one server', url: 'redis://h/0?sentinel_password=x', error: /unknown option/ },
    { name: 'other scheme', url: 'http://h', error: /expected a URL/ },
    { name: 'empty sentinel', url: 'redis+sentinel://s1,/mymaster', error: /at least one sentinel/ },
    { name: 'unencoded @ in the password', url: 'redis+sentinel://:p@ss@s1/mymaster', error: /written %40/ },
  ];
  for (const c of bad) it(`rejects: ${c.name}`, () => expect(() => parseRedisUrl(c.url)).toThrow(c.error));
});

describe('redisOptions', () => {
  it('gives ioredis the sentinels and the primary name, with the client’s tuning on top', () => {
    const o = redisOptions('rediss+sentinel://:pw@s1,s2:26380/mymaster/1?sentinel_password=spw', {
      maxRetriesPerRequest: null,
    });
    expect(o).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'mymaster',
      password: 'pw',
      sentinelPassword: 'spw',
      db: 1,
      tls: {},
      sentinelTLS: {},
      enableTLSForSentinelMode: true,
      maxRetriesPerRequest: null,
    });
    expect(o).not.toHaveProperty('host');
  });

  it('gives one server as host and port; TLS only for rediss', () => {
    expect(redisOptions('redis://:pw@h:1/4', { connectTimeout: 5 })).toEqual({
      host: 'h',
      port: 1,
      password: 'pw',
      db: 4,
      connectTimeout: 5,
    });
    expect(redisOptions('rediss://h')).toMatchObject({ tls: {} });
  });
});

describe('redaction', () => {
  const url = 'redis+sentinel://app:Pa55word@s1:26379,s2/mymaster?sentinel_password=Sentinel-Pw';
  it('masks both passwords in the URL', () => {
    expect(redactRedisUrl(url)).toBe('redis+sentinel://app:***@s1:26379,s2/mymaster?sentinel_password=***');
    expect(redactRedisUrl('rediss://:pw@h:6380/0')).toBe('rediss://:***@h:6380/0');
  });
  it('masks the URL and its passwords quoted alone in a health message', () => {
    const text = `connect ${url} failed; AUTH Pa55word refused by sentinel (Sentinel-Pw)`;
    const out = redactSecrets(text, [url]);
    expect(out).not.toContain('Pa55word');
    expect(out).not.toContain('Sentinel-Pw');
    expect(redisUrlSecrets(url)).toEqual(['Pa55word', 'Sentinel-Pw']);
  });
  it('names REDIS_URL without echoing it when the config rejects it', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://:Pa55word@s1' }, { envFile: null })).toThrow(
      /REDIS_URL.*primary name/,
    );
    try {
      loadConfig({ REDIS_URL: 'redis+sentinel://:Pa55word@s1' }, { envFile: null });
    } catch (err) {
      expect((err as Error).message).not.toContain('Pa55word');
    }
    expect(loadConfig({ REDIS_URL: url }, { envFile: null }).redisUrl).toBe(url);
  });
});
