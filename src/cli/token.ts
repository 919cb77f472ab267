import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { CliError } from './errors.ts';
import { withDatabase } from './context.ts';

const actor = () => `cli:${userInfo().username}`;
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

async function withDb<T>(
  fn: (
    db: import('../db/client.ts').Db,
    q: typeof import('../db/queries/api-tokens.ts'),
    audit: typeof import('../db/queries/audit.ts'),
  ) => Promise<T>,
): Promise<T> {
  const [q, audit] = await Promise.all([import('../db/queries/api-tokens.ts'), import('../db/queries/audit.ts')]);
  return withDatabase((database) => fn(database.db, q, audit));
}

/**
 * `finrep token create|list|revoke`: bearer tokens for the JSON API (`Authorization: Bearer frp_…`). A token
 * is printed once, at creation; only its SHA-256 is stored.
 */
export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens for /api/v1: create, list, revoke');

  token
    .command('create')
    .description('create a token and print it once (store it now: it cannot be shown again)')
    .requiredOption('--name <name>', 'what the token is for (shown in listings and the audit log)')
    .option('--role <role>', 'viewer (reads) or admin (changes things)', 'viewer')
    .option('--expires-days <n>', 'expire after this many days (default: never)')
    .option('--json', 'print {"id","name","role","token","expires_at"} as JSON')
    .action(async (flags: { name: string; role: string; expiresDays?: string; json?: boolean }) => {
      if (flags.role !== 'viewer' && flags.role !== 'admin')
        throw new CliError(`--role ${flags.role}: expected viewer or admin`);
      const name = flags.name.trim();
      if (!name || name.length > 100) throw new CliError('--name: give 1–100 characters');
      let expiresAt: Date | null = null;
      if (flags.expiresDays !== undefined) {
        const days = Number(flags.expiresDays);
        if (!Number.isInteger(days) || days < 1 || days > 3650)
          throw new CliError('--expires-days: a whole number of days, 1–3650');
        expiresAt = new Date(Date.now() + days * 86_400_000);
      }
      const { newApiToken } = await import('../web/auth/api-tokens.ts');
      await withDb(async (db, q, audit) => {
        const t = newApiToken();
        const row = await q.createApiToken(db, {
          name,
          role: flags.role as 'viewer' | 'admin',
          tokenHash: t.hash,
          prefix: t.prefix,
          createdBy: actor(),
          expiresAt,
        });
        await audit.writeAudit(db, {
          actor: actor(),
          action: 'token.create',
          target: `token:${row.id}`,
          detail: { after: { name, role: row.role, prefix: row.prefix, expires_at: expiresAt } },
        });
        if (flags.json)
          return out(JSON.stringify({ id: row.id, name, role: row.role, token: t.token, expires_at: expiresAt }));
        out(t.token);
        err(
          `token ${row.id} "${name}" (${row.role}${expiresAt ? `, expires ${expiresAt.toISOString().slice(0, 10)}` : ''}) created — shown only now; send it as "Authorization: Bearer <token>"`,
        );
      });
    });

  token
    .command('list')
    .description('list tokens (never the tokens themselves)')
    .option('--json', 'JSON output')
    .action(async (flags: { json?: boolean }) => {
      await withDb(async (db, q) => {
        const rows = await q.listApiTokens(db);
        const now = Date.now();
        const list = rows.map((r) => ({
          id: r.id,
          name: r.name,
          role: r.role,
          prefix: r.prefix,
          created_by: r.createdBy,
          created_at: r.createdAt,
          last_used_at: r.lastUsedAt,
          expires_at: r.expiresAt,
          revoked_at: r.revokedAt,
          live: !r.revokedAt && (!r.expiresAt || r.expiresAt.getTime() > now),
        }));
        if (flags.json) return out(JSON.stringify(list));
        for (const t of list) {
          const state = t.revoked_at ? 'revoked' : t.live ? 'live' : 'expired';
          out(
            `${String(t.id).padStart(4)}  ${t.prefix}…  ${t.role.padEnd(6)} ${state.padEnd(7)} ${t.name}  ` +
              `(last used ${t.last_used_at ? t.last_used_at.toISOString() : 'never'})`,
          );
        }
      });
    });

  token
    .command('revoke')
    .description('revoke a token at once (its calls answer 401 from now on)')
    .argument('<id>')
    .action(async (id: string) => {
      if (!/^\d+$/.test(id)) throw new CliError(`${id}: give the token's id (finrep token list)`);
      await withDb(async (db, q, audit) => {
        if (!(await q.revokeApiToken(db, Number(id)))) throw new CliError(`no live token ${id}`);
        await audit.writeAudit(db, { actor: actor(), action: 'token.revoke', target: `token:${id}` });
        err(`token ${id} revoked`);
      });
    });
}
