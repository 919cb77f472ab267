/** A user-facing command error: printed as one line, exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
}
