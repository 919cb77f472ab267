import { DrizzleQueryError } from 'drizzle-orm/errors';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CliError, describeError } from './errors.ts';

/** A server error as pg reports it (what a dropped database gives every new connection). */
function serverError(message: string, code: string): pg.DatabaseError {
  const e = new pg.DatabaseError(message, message.length, 'error');
  e.severity = 'FATAL';
  e.code = code;
  return e;
}

const UPDATE =
  'update "run_stages" set "progress" = $1 where ("run_stages"."run_id" = $2 and "run_stages"."stage" = $3)';
const PARAMS = [{ done: 7, total: 9, unit: 'sources' }, 1, 'ops@example.com'];
const dropped = () => new DrizzleQueryError(UPDATE, PARAMS, serverError('database "finrep" does not exist', '3D000'));

describe('describeError: one line with the root cause, never the parameters', () => {
  it.each([
    {
      name: "a failed statement: the server's reason and the table",
      err: dropped(),
      label: 'database error',
      message: 'database "finrep" does not exist (query on "run_stages")',
    },
    {
      name: 'a failed statement inside a wrapper that quotes it',
      err: new Error(`edition job e1 failed: ${dropped().message}`, { cause: dropped() }),
      label: 'database error',
      message: 'edition job e1 failed: database "finrep" does not exist (query on "run_stages")',
    },
    {
      name: 'a statement that failed without a cause',
      err: new DrizzleQueryError('select "id" from "articles" where "url" = $1', ['https://x/secret-token']),
      label: 'database error',
      message: 'the statement failed (query on "articles")',
    },
    {
      name: 'a server error on its own',
      err: serverError('terminating connection due to administrator command', '57P01'),
      label: 'database error',
      message: 'terminating connection due to administrator command',
    },
    {
      name: 'a configuration error',
      err: Object.assign(new Error('REPORT_TOPN: expected an integer'), { name: 'ConfigError' }),
      label: 'configuration error',
      message: 'REPORT_TOPN: expected an integer',
    },
    {
      name: 'a command error over several lines',
      err: new CliError('first\n  second'),
      label: 'error',
      message: 'first second',
    },
    {
      name: 'a refused connection with no message',
      err: Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }),
      label: 'error',
      message: 'ECONNREFUSED',
    },
    { name: 'not an Error', err: 'boom', label: 'error', message: 'boom' },
  ])('$name', ({ err, label, message }) => {
    const line = describeError(err);
    expect(line).toEqual({ label, message, exitCode: label === 'configuration error' ? 2 : 1 });
    expect(line.message).not.toContain('params');
    expect(line.message).not.toContain('ops@example.com');
  });

  it('drops parameters quoted as text by a wrapper without the cause', () => {
    const line = describeError(new Error(`collect failed: ${dropped().message}`));
    expect(line.message).toBe(`collect failed: Failed query: ${UPDATE}`);
  });
});
