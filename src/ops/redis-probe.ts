/**
 * A minimal Redis client (RESP2 over `net` / `tls`) for `finrep health worker|beat`: a container probe that
 * runs every 30 s must not load ioredis (≈20 MB and 0.2 s on a small machine) to read two keys.
 * It speaks AUTH, SELECT, SENTINEL and plain commands; replies are strings, integers, nulls, errors and arrays.
 */
import net from 'node:net';
import tls from 'node:tls';
import { parseRedisUrl } from '../config/redis-url.ts';
import type { RedisAddress, RedisTarget } from '../config/redis-url.ts';

/** A RESP reply. */
export type RespValue = string | number | null | RespValue[];

/** Redis answered a command with an error (`-ERR …`). */
export class RespError extends Error {
  override name = 'RespError';
}

/** An open connection: one command at a time or pipelined, in order. */
export interface RedisProbe {
  command(...args: (string | number)[]): Promise<RespValue>;
  close(): void;
}

type Parsed = { value: RespValue | RespError; next: number } | null;

/** One reply from `buf` at `at`, or null when it has not fully arrived yet. */
export function parseReply(buf: Buffer, at: number): Parsed {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const head = buf.toString('utf8', at + 1, eol);
  const after = eol + 2;
  switch (String.fromCharCode(buf[at]!)) {
    case '+':
      return { value: head, next: after };
    case '-':
      return { value: new RespError(head), next: after };
    case ':':
      return { value: Number(head), next: after };
    case '$': {
      const len = Number(head);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return null;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const len = Number(head);
      if (len < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < len; i++) {
        const item = parseReply(buf, next);
        if (!item) return null;
        if (item.value instanceof RespError) return item;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RespError(`unexpected reply byte ${JSON.stringify(String.fromCharCode(buf[at]!))}`);
  }
}

function encode(args: (string | number)[]): Buffer {
  const parts = args.map((a) => Buffer.from(String(a)));
  return Buffer.concat([
    Buffer.from(`*${parts.length}\r\n`),
    ...parts.flatMap((p) => [Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n')]),
  ]);
}

/**
 * Connects, authenticates and selects the URL's database (with the Sentinel form, after asking the sentinels,
 * in order, for the primary's address). Everything (connect and every command) must be done within
 * `timeoutMs` of the call, else the connection is closed and the pending command fails.
 * @example const r = await connectRedis('redis://127.0.0.1:6379/0', 2000); await r.command('PING'); r.close();
 */
export async function connectRedis(url: string, timeoutMs: number): Promise<RedisProbe> {
  const t = parseRedisUrl(url);
  const deadline = Date.now() + timeoutMs;
  const primary = t.kind === 'server' ? t : await askSentinels(t, deadline);
  return open(primary, t, deadline);
}

async function askSentinels(t: Extract<RedisTarget, { kind: 'sentinel' }>, deadline: number): Promise<RedisAddress> {
  const errors: string[] = [];
  for (const s of t.sentinels) {
    let sentinel: RedisProbe | null = null;
    try {
      const auth = { tls: t.tls, username: t.sentinelUsername, password: t.sentinelPassword, db: 0 };
      sentinel = await open(s, auth, deadline);
      const reply = await sentinel.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', t.name);
      if (Array.isArray(reply) && typeof reply[0] === 'string' && reply[1] !== undefined)
        return { host: reply[0], port: Number(reply[1]) };
      errors.push(`${s.host}:${s.port} does not know "${t.name}"`);
    } catch (err) {
      errors.push(`${s.host}:${s.port}: ${(err as Error).message}`);
    } finally {
      sentinel?.close();
    }
  }
  throw new Error(`no sentinel named the primary (${errors.join('; ')})`);
}

type Auth = { tls: boolean; username: string | null; password: string | null; db: number };

async function open(at: RedisAddress, auth: Auth, deadlineAt: number): Promise<RedisProbe> {
  const timeoutMs = Math.max(1, deadlineAt - Date.now());
  const t = { ...auth, host: at.host, port: at.port };
  const socket = t.tls
    ? tls.connect({ host: t.host, port: t.port, servername: net.isIP(t.host) ? undefined : t.host })
    : net.connect({ host: t.host, port: t.port });
  const pending: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let failure: Error | null = null;
  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.splice(0)) p.reject(failure);
    socket.destroy();
  };
  const deadline = setTimeout(() => fail(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
  socket.on('error', (err) => fail(err));
  socket.on('close', () => {
    clearTimeout(deadline);
    fail(new Error('Redis closed the connection'));
  });
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let parsed: Parsed;
    try {
      while (buf.length && (parsed = parseReply(buf, 0))) {
        buf = buf.subarray(parsed.next);
        const p = pending.shift();
        if (parsed.value instanceof RespError) p?.reject(parsed.value);
        else p?.resolve(parsed.value);
      }
    } catch (err) {
      fail(err as Error);
    }
  });
  const command = (...args: (string | number)[]) =>
    new Promise<RespValue>((resolve, reject) => {
      if (failure) return reject(failure);
      pending.push({ resolve, reject });
      socket.write(encode(args));
    });
  const probe: RedisProbe = {
    command,
    close: () => {
      clearTimeout(deadline);
      socket.destroy();
    },
  };
  try {
    if (t.password) await command('AUTH', ...(t.username ? [t.username] : []), t.password);
    if (t.db) await command('SELECT', t.db);
  } catch (err) {
    probe.close();
    throw err;
  }
  return probe;
}
