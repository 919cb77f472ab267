/**
 * The two kinds of failure the pipeline treats differently from a plain error: a server that went away for a
 * moment (waited out) and a failure no retry can mend (a job fails at once). Both decided by type and by the
 * structured codes drivers put on their errors — never by reading messages.
 */

/** The queue's server (or the database) did not answer for a moment; the queue adapters reject with it. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

/**
 * A failure that a retry cannot mend (an edition with no composed report, a dedup job failed for good): the
 * queue fails the job at once instead of trying it again (BullMQ's `UnrecoverableError`).
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

/** Socket errors of a server that is down or restarting (Node's `code`). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** PostgreSQL SQLSTATEs of a server shutting down or starting up (class 08 is checked by prefix). */
const PG_CODES = new Set(['57P01', '57P02', '57P03']);

/**
 * Whether `err` (or any error in its `cause` chain: drizzle wraps the driver's) says a server is away for a
 * moment — worth waiting out rather than failing a run for.
 *
 * @example
 * try { await poll() } catch (err) { if (!isUnavailable(err)) throw err }
 */
export function isUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof ServiceUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (SOCKET_CODES.has(code) || PG_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}
