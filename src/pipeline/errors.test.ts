import net from 'node:net';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { isUnavailable, PermanentError, ServiceUnavailableError } from './errors.ts';

/** A real socket error: a connection refused by a port nothing listens on. */
async function refused(): Promise<Error> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return new Promise((resolve) => net.connect(port, '127.0.0.1').on('error', resolve));
}

/** An error as the pg driver makes it: a message and PostgreSQL's SQLSTATE in `code`. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('isUnavailable: decided by type and structured codes, along the cause chain', () => {
  it.each([
    { name: 'the queue adapter says so', err: new ServiceUnavailableError('redis: Connection is closed.'), want: true },
    { name: 'a server shutting down (57P01)', err: pgError('57P01', 'terminating connection'), want: true },
    { name: 'a server starting up (57P03)', err: pgError('57P03', 'the database system is starting up'), want: true },
    { name: 'a connection failure (class 08)', err: pgError('08006', 'connection failure'), want: true },
    {
      name: 'drizzle wrapping the driver',
      err: new DrizzleQueryError('select 1', [], pgError('57P01', 'terminating connection')),
      want: true,
    },
    { name: 'a unique violation (23505)', err: pgError('23505', 'duplicate key'), want: false },
    { name: 'a permanent failure', err: new PermanentError('dedup failed'), want: false },
    // Messages are not read: a plain error saying "connection is closed" is an error like any other.
    { name: 'a message alone', err: new Error('Connection terminated unexpectedly'), want: false },
    { name: 'not an error', err: 'ECONNREFUSED', want: false },
  ])('$name → $want', ({ err, want }) => {
    expect(isUnavailable(err)).toBe(want);
  });

  it('a refused connection (a real socket error)', async () => {
    const err = await refused();
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(isUnavailable(err)).toBe(true);
    expect(isUnavailable(new DrizzleQueryError('select 1', [], err))).toBe(true);
  });
});
