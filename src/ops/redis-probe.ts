/**
 * A minimal Redis client (RESP2 over `net` / `tls`) for `finrep health worker|beat`: a container probe that
 * runs every 30 s must not load ioredis (≈20 MB and 0.2 s on a small machine) to read two keys.
 * It speaks AUTH, SELECT and plain commands; replies are strings, integers, nulls, errors and arrays.
 */
import net from 'node:net';
import tls from 'node:tls';

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

/** Host, port, credentials and database of a `redis://` / `rediss://` URL. */
export function redisTarget(url: string) {
  const u = new URL(url);
  return {
    tls: u.protocol === 'rediss:',
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(u.port) || 6379,
    username: u.username ? decodeURIComponent(u.username) : null,
    password: u.password ? decodeURIComponent(u.password) : null,
    db: Number(u.pathname.slice(1)) || 0,
  };
}

/**
 * Connects, authenticates and selects the URL's database. Everything (connect and every command) must be
 * done within `timeoutMs` of the call, else the connection is closed and the pending command fails.
 * @example const r = await connectRedis('redis://127.0.0.1:6379/0', 2000); await r.command('PING'); r.close();
 */
export async function connectRedis(url: string, timeoutMs: number): Promise<RedisProbe> {
  const t = redisTarget(url);
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
