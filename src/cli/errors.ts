/** A user-facing command error: printed as one line, exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** What the command prints for an error that ends it: `finrep: <label>: <message>`, and its exit status. */
export interface ErrorLine {
  label: string;
  message: string;
  exitCode: number;
}

/** A failed SQL statement as drizzle reports it (`DrizzleQueryError`): the statement, its parameters, the driver's error as `cause`. */
interface QueryError extends Error {
  query: string;
  params: unknown;
}

const isQueryError = (e: unknown): e is QueryError =>
  e instanceof Error && typeof (e as Partial<QueryError>).query === 'string' && 'params' in e;

/** The errors of `err`'s cause chain, outermost first (at most 10: a chain may loop). */
function causes(err: unknown): Error[] {
  const out: Error[] = [];
  for (let e = err; e instanceof Error && out.length < 10 && !out.includes(e); e = e.cause) out.push(e);
  return out;
}

/** The table a statement works on (`update "run_stages" …` → `"run_stages"`): enough to say where, never the values. */
function tableOf(query: string): string | null {
  return /\b(?:from|into|update)\s+("[^"]+"|\w+)/i.exec(query)?.[1] ?? null;
}

/** An error's own text, or its code when it has none (Node's AggregateError of a refused connection). */
function textOf(e: Error): string {
  return e.message || String((e as NodeJS.ErrnoException).code ?? e.name);
}

/** An error of the database server itself (pg's `DatabaseError`, PGlite's): it carries a severity and an SQLSTATE code. */
const isServerError = (e: Error): boolean => {
  const f = e as Error & { severity?: unknown; code?: unknown };
  return typeof f.severity === 'string' && typeof f.code === 'string';
};

const LABELS: Record<string, string> = {
  ConfigError: 'configuration error',
  DatabaseError: 'database error',
  QueueUnavailableError: 'redis error',
};

/**
 * The one line an operator reads for an error that ends a command: the root cause where a wrapper hides it
 * (drizzle's "Failed query: <SQL> params: <values>" becomes the database's own reason and the table), never
 * a statement's parameters (they hold recipients' addresses, article text, secrets), on one line.
 *
 * @example describeError(new DrizzleQueryError('update "runs" …', [1], pgError)).message // 'database "fin" does not exist (query on "runs")'
 */
export function describeError(err: unknown): ErrorLine {
  const chain = causes(err);
  const outer = chain[0];
  if (!outer) return { label: 'error', message: oneLine(String(err)), exitCode: 1 };
  const query = chain.find(isQueryError);
  let message = textOf(outer);
  if (query) {
    const root = chain.at(-1)!;
    const table = tableOf(query.query);
    const reason = root === query ? 'the statement failed' : textOf(root);
    const said = `${reason}${table ? ` (query on ${table})` : ''}`;
    message = outer === query ? said : message.replace(query.message, said);
  }
  const label = query || chain.some(isServerError) ? 'database error' : (LABELS[outer.name] ?? 'error');
  return { label, message: oneLine(withoutParams(message)), exitCode: outer.name === 'ConfigError' ? 2 : 1 };
}

/** Drops a statement's parameters from text that quotes drizzle's message (`…\nparams: a,b,c` runs to its end). */
export function withoutParams(text: string): string {
  return text.replace(/\s*\n\s*params: [\s\S]*$/, '');
}

/** Collapses line breaks (a multi-line message must stay one line of stderr) and caps the length. */
export function oneLine(s: string): string {
  return s
    .replace(/\s*\n\s*/g, ' ')
    .trim()
    .slice(0, 500);
}
