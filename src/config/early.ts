/**
 * What a command may know before the configuration loads (zod and the schema take a while): whether the
 * environment itself names PostgreSQL (`DATABASE_URL`, or `POSTGRES_HOST` to build it from). A `.env` file is
 * not read here; `loadConfig` has the final word.
 */
export function environmentNamesPostgres(env: Record<string, string | undefined> = process.env): boolean {
  return !!(env.DATABASE_URL || env.DATABASE_URL_FILE || env.POSTGRES_HOST);
}

/** A copy of this process's environment, for a child program that needs it plus its own variables (pg_dump, psql). */
export function inheritedEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}
