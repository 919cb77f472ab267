import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHealth, redactSecrets } from './health.ts';
import type { CheckOutcome, HealthCheck } from './health.ts';
import { parseWorkerHeartbeat, queuesWithoutWorker } from './heartbeats.ts';
import { parseReply, RespError } from './redis-probe.ts';

/** A check whose runs are counted and which hangs until `release()`. */
function hangingCheck(name: string) {
  let calls = 0;
  let release: (o: CheckOutcome) => void = () => {};
  const check: HealthCheck = {
    name,
    run: () => {
      calls++;
      return new Promise((resolve) => (release = resolve));
    },
  };
  return { check, calls: () => calls, release: (o: CheckOutcome) => release(o) };
}

describe('createHealth', () => {
  it('is ok when every check is, and names the failing ones in order otherwise', async () => {
    const ok = { name: 'a', run: async () => ({ ok: true, detail: { count: 2 } }) };
    const bad = { name: 'b', run: async () => ({ ok: false, message: 'b is down' }) };
    const throws = {
      name: 'c',
      run: async (): Promise<CheckOutcome> => {
        throw new Error('connect ECONNREFUSED\nstack');
      },
    };
    expect(await createHealth([ok], { timeoutMs: 100 }).report()).toMatchObject({
      status: 'ok',
      failing: [],
      checks: { a: { status: 'ok', count: 2 } },
    });
    const r = await createHealth([throws, ok, bad], { timeoutMs: 100 }).report();
    expect(r.status).toBe('fail');
    expect(r.failing).toEqual(['c', 'b']);
    expect(r.checks.c).toMatchObject({ status: 'fail', message: 'connect ECONNREFUSED' });
    expect(r.checks.b).toMatchObject({ status: 'fail', message: 'b is down' });
  });

  it('fails a hung check at its deadline and reuses it, never starting a second run meanwhile', async () => {
    const hung = hangingCheck('database');
    const health = createHealth([hung.check], { timeoutMs: 50 });
    const first = await health.report();
    expect(first.checks.database).toMatchObject({ status: 'fail', message: 'no answer within 50 ms' });
    expect(first.checks.database!.latency_ms).toBeGreaterThanOrEqual(50);
    const again = await Promise.all([health.report(), health.report(), health.report()]);
    for (const r of again) expect(r.failing).toEqual(['database']);
    expect(hung.calls()).toBe(1);
    hung.release({ ok: true });
    await new Promise((r) => setTimeout(r, 0));
    const after = await health.report();
    expect(hung.calls()).toBe(2);
    expect(after.failing).toEqual(['database']); // the second run hangs too
  });

  it('reads an answer that came in while the process was too busy to look at its deadline', async () => {
    // A socket pair on loopback: the answer is written (into the kernel) before the process blocks past the
    // check's deadline, as a database's reply arrives while the web renders a page.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [[peer]] = await Promise.all([accepted, once(client, 'connect')]);
    try {
      const answering: HealthCheck = {
        name: 'database',
        run: async () => {
          const answer = once(client, 'data');
          peer.write('pong');
          const until = performance.now() + 120;
          while (performance.now() < until); // busy past the 50 ms deadline
          await answer;
          return { ok: true };
        },
      };
      const r = await createHealth([answering], { timeoutMs: 50 }).report();
      expect(r.checks.database).toMatchObject({ status: 'ok' });
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });

  it('shares one run between concurrent requests', async () => {
    let calls = 0;
    const slow = {
      name: 'redis',
      run: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        return { ok: true };
      },
    };
    const health = createHealth([slow], { timeoutMs: 1000 });
    const all = await Promise.all(Array.from({ length: 20 }, () => health.report()));
    expect(all.every((r) => r.status === 'ok')).toBe(true);
    expect(calls).toBe(1);
  });

  it('answers from a result younger than reuseMs without running the check again', async () => {
    let calls = 0;
    let clock = 0;
    const counted = { name: 'redis', run: async () => ({ ok: ++calls === 1 }) };
    const health = createHealth([counted], { timeoutMs: 100, reuseMs: 250, now: () => clock });
    expect((await health.report()).status).toBe('ok');
    clock = 249;
    expect((await health.report()).status).toBe('ok');
    expect(calls).toBe(1);
    clock = 250;
    expect((await health.report()).status).toBe('fail');
    expect(calls).toBe(2);
  });

  it('masks secrets in messages', async () => {
    const leaky = {
      name: 'redis',
      run: async () => ({ ok: false, message: 'WRONGPASS for redis://app:hunter22@cache:6379/0 (hunter22)' }),
    };
    const r = await createHealth([leaky], { timeoutMs: 100, secrets: ['redis://app:hunter22@cache:6379/0'] }).report();
    expect(r.checks.redis!.message).toBe('WRONGPASS for redis://app:***@cache:6379/0 (***)');
  });
});

describe('redactSecrets', () => {
  const cases = [
    { name: 'URL password', text: 'postgres://u:p4ss@h/db down', secrets: [], expected: 'postgres://u:***@h/db down' },
    { name: 'no password', text: 'redis://h:6379 refused', secrets: [], expected: 'redis://h:6379 refused' },
    { name: 'empty user', text: 'at redis://:pw@h:1', secrets: [], expected: 'at redis://:***@h:1' },
    { name: 'a secret alone', text: 'token abcdef leaked', secrets: ['abcdef'], expected: 'token *** leaked' },
    { name: 'short secrets kept', text: 'a b c', secrets: ['b'], expected: 'a b c' },
  ];
  it.each(cases)('$name', ({ text, secrets, expected }) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });
});

describe('parseReply (the probe RESP client)', () => {
  const cases: { name: string; wire: string; value: unknown }[] = [
    { name: 'simple string', wire: '+PONG\r\n', value: 'PONG' },
    { name: 'integer', wire: ':42\r\n', value: 42 },
    { name: 'bulk', wire: '$5\r\nhello\r\n', value: 'hello' },
    { name: 'utf-8 bulk (bytes)', wire: '$6\r\n日报\r\n', value: '日报' },
    { name: 'null bulk', wire: '$-1\r\n', value: null },
    { name: 'SCAN reply', wire: '*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$-1\r\n', value: ['0', ['a', null]] },
  ];
  it.each(cases)('$name', ({ wire, value }) => {
    const buf = Buffer.from(wire);
    expect(parseReply(buf, 0)).toEqual({ value, next: buf.length });
    expect(parseReply(buf.subarray(0, buf.length - 1), 0)).toBeNull();
  });
  it('returns errors as RespError', () => {
    const parsed = parseReply(Buffer.from('-WRONGPASS invalid\r\n'), 0);
    expect(parsed?.value).toBeInstanceOf(RespError);
    expect((parsed?.value as Error).message).toBe('WRONGPASS invalid');
  });
});

describe('queuesWithoutWorker', () => {
  const ALL = ['edition', 'collect-rss', 'deliver', 'ops'];
  const hb = (queues?: string[]) =>
    parseWorkerHeartbeat('finrep:heartbeat:worker:h:1', JSON.stringify({ at: new Date().toISOString(), queues }));

  it('names the queues no worker takes, in the order of the list', () => {
    expect(queuesWithoutWorker(ALL, [hb(['deliver']), hb(['collect-rss', 'deliver'])])).toEqual(['edition', 'ops']);
    expect(queuesWithoutWorker(ALL, [hb(['edition', 'collect-rss']), hb(['deliver', 'ops'])])).toEqual([]);
  });

  it('trusts a heartbeat that does not say (an older worker took every queue), and leaves no worker to the count', () => {
    expect(queuesWithoutWorker(ALL, [hb(['deliver']), hb()])).toEqual([]);
    expect(queuesWithoutWorker(ALL, [])).toEqual([]);
  });

  it('reads only the strings of a malformed queue list', () => {
    const odd = parseWorkerHeartbeat('k', JSON.stringify({ queues: ['ops', 7, null] }));
    expect(odd.queues).toEqual(['ops']);
    expect(parseWorkerHeartbeat('k', 'not json').queues).toBeNull();
  });
});
