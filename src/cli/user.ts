import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { CliError } from './errors.ts';
import { signingSecret, withDatabase } from './context.ts';
import type { Context } from './context.ts';
import type { Database } from '../db/client.ts';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const ROLES = ['admin', 'viewer'] as const;
type Role = (typeof ROLES)[number];
const actor = () => `cli:${userInfo().username}`;

/** Asks on the terminal (stderr), without echo when `hidden`. */
function ask(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    const mute = new Writable({ write: (_c, _e, cb) => cb() });
    const rl = createInterface({ input: process.stdin, output: hidden ? mute : process.stderr, terminal: true });
    rl.question('', (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer);
    });
  });
}

let stdinLines: Promise<string[]> | null = null;
/** The next line of a piped stdin (the whole input is read once). */
async function stdinLine(): Promise<string> {
  stdinLines ??= (async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  })();
  const lines = await stdinLines;
  return lines.shift() ?? '';
}

/** The new password: `--password-file`, else a hidden prompt asked twice on a terminal, else the first line of stdin. */
async function newPassword(file: string | undefined): Promise<string> {
  const { passwordProblem } = await import('../web/auth/passwords.ts');
  let password: string;
  if (file) {
    try {
      password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new CliError(`--password-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (process.stdin.isTTY) {
    password = await ask('New password: ', true);
    if ((await ask('Repeat it: ', true)) !== password) throw new CliError('the two passwords differ');
  } else {
    password = await stdinLine();
  }
  const problem = passwordProblem(password);
  if (problem) throw new CliError(`password refused: ${problem}`);
  return password;
}

function parseEmail(v: string): string {
  const email = v.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 320)
    throw new CliError(`not an e-mail address: ${v}`);
  return email;
}

function parseRole(v: string): Role {
  if (!(ROLES as readonly string[]).includes(v)) throw new CliError(`--role: expected admin or viewer (got ${v})`);
  return v as Role;
}

/** Runs `fn` with the database and the user queries, closing the database afterwards. */
async function withDb<T>(
  fn: (
    ctx: Context,
    database: Database,
    q: typeof import('../db/queries/users.ts'),
    audit: typeof import('../db/queries/audit.ts'),
  ) => Promise<T>,
): Promise<T> {
  const [q, audit] = await Promise.all([import('../db/queries/users.ts'), import('../db/queries/audit.ts')]);
  return withDatabase((database, ctx) => fn(ctx, database, q, audit));
}

async function mustFind(db: Database['db'], q: typeof import('../db/queries/users.ts'), email: string) {
  const user = await q.findUserByEmail(db, email);
  if (!user) throw new CliError(`no user ${email} (see finrep user list)`);
  return user;
}

/** `finrep user add|passwd|disable|enable|role|list|2fa`: the people who sign in to the web admin. */
export function registerUser(program: Command): void {
  const user = program.command('user').description('web admin users: add, passwd, disable, enable, role, list, 2fa');

  user
    .command('add')
    .description('create a user (the password comes from a prompt, stdin, or --password-file)')
    .argument('<email>', 'the sign-in address')
    .option('--role <role>', 'admin or viewer', 'viewer')
    .option('--password-file <file>', 'read the password from this file')
    .action(async (emailArg: string, flags: { role: string; passwordFile?: string }) => {
      const email = parseEmail(emailArg);
      const role = parseRole(flags.role);
      const password = await newPassword(flags.passwordFile);
      const { hashPassword } = await import('../web/auth/passwords.ts');
      const passwordHash = await hashPassword(password);
      await withDb(async (_ctx, { db }, q, audit) => {
        const created = await q.createUser(db, { email, passwordHash, role });
        if (!created)
          throw new CliError(`${email} exists already (finrep user passwd ${email} to change its password)`);
        await audit.writeAudit(db, { actor: actor(), action: 'user.add', target: email, detail: { after: { role } } });
        out(`created ${role} ${email} (id ${created.id})`);
      });
    });

  user
    .command('passwd')
    .description("set a user's password (ends their sessions)")
    .argument('<email>')
    .option('--password-file <file>', 'read the password from this file')
    .action(async (emailArg: string, flags: { passwordFile?: string }) => {
      const email = parseEmail(emailArg);
      const password = await newPassword(flags.passwordFile);
      const { hashPassword } = await import('../web/auth/passwords.ts');
      const hash = await hashPassword(password);
      await withDb(async (_ctx, { db }, q, audit) => {
        const u = await mustFind(db, q, email);
        await q.setPassword(db, u.id, hash);
        await audit.writeAudit(db, {
          actor: actor(),
          action: 'user.password',
          target: email,
          detail: { by: 'cli', sessions_revoked: true },
        });
        out(`password of ${email} changed; their sessions are signed out`);
      });
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    user
      .command(name)
      .description(disabled ? 'stop a user from signing in (ends their sessions)' : 'let a disabled user sign in again')
      .argument('<email>')
      .action(async (emailArg: string) => {
        const email = parseEmail(emailArg);
        await withDb(async (_ctx, { db }, q, audit) => {
          const u = await mustFind(db, q, email);
          await q.setDisabled(db, u.id, disabled);
          await audit.writeAudit(db, {
            actor: actor(),
            action: `user.${name}`,
            target: email,
            detail: { before: { disabled: u.disabled }, after: { disabled } },
          });
          out(`${email} ${disabled ? 'disabled' : 'enabled'}`);
        });
      });
  }

  user
    .command('role')
    .description("change a user's role (ends their sessions)")
    .argument('<email>')
    .argument('<role>', 'admin or viewer')
    .action(async (emailArg: string, roleArg: string) => {
      const email = parseEmail(emailArg);
      const role = parseRole(roleArg);
      await withDb(async (_ctx, { db }, q, audit) => {
        const u = await mustFind(db, q, email);
        await q.setRole(db, u.id, role);
        await audit.writeAudit(db, {
          actor: actor(),
          action: 'user.role',
          target: email,
          detail: { before: { role: u.role }, after: { role } },
        });
        out(`${email} is now ${role}`);
      });
    });

  user
    .command('list')
    .description('list users (never their password hashes or TOTP secrets)')
    .option('--json', 'JSON output')
    .action(async (flags: { json?: boolean }) => {
      await withDb(async (_ctx, { db }, q) => {
        const list = (await q.listUsers(db)).map(q.toView);
        if (flags.json) {
          out(
            JSON.stringify(
              list.map((u) => ({
                id: u.id,
                email: u.email,
                role: u.role,
                disabled: u.disabled,
                totp: u.totp,
                last_login_at: u.lastLoginAt,
                created_at: u.createdAt,
              })),
            ),
          );
          return;
        }
        if (list.length === 0) out('no users yet: finrep user add you@example.com --role admin');
        for (const u of list)
          out(
            `${String(u.id).padStart(4)}  ${u.email}  ${u.role}${u.totp ? '  2fa' : ''}${u.disabled ? '  (disabled)' : ''}  last sign-in ${u.lastLoginAt?.toISOString() ?? 'never'}`,
          );
      });
    });

  user
    .command('2fa')
    .description('enrol a TOTP second factor for a user (prints the key and a QR code, then asks for a code)')
    .argument('<email>')
    .option('--disable', 'remove the second factor instead')
    .action(async (emailArg: string, flags: { disable?: boolean }) => {
      const email = parseEmail(emailArg);
      await withDb(async (ctx, { db }, q, audit) => {
        const u = await mustFind(db, q, email);
        const had = u.totpEnabledAt !== null;
        if (flags.disable) {
          await q.setTotp(db, u.id, null, false);
          await audit.writeAudit(db, {
            actor: actor(),
            action: 'user.2fa.disable',
            target: email,
            detail: { before: { totp: had }, after: { totp: false } },
          });
          out(`second factor of ${email} removed`);
          return;
        }
        const [{ newTotpSecret, totpUri, totpStep }, { seal }] = await Promise.all([
          import('../web/auth/totp.ts'),
          import('../web/auth/secret-box.ts'),
        ]);
        const secret = newTotpSecret();
        const uri = totpUri(secret, email);
        if (process.stdout.isTTY) {
          const { default: QRCode } = await import('qrcode');
          out(await QRCode.toString(uri, { type: 'terminal', small: true }));
        }
        out(`key: ${secret}`);
        out(`uri: ${uri}`);
        const code = process.stdin.isTTY ? await ask('code from the app: ', false) : await stdinLine();
        const step = totpStep(secret, code);
        if (step === null) throw new CliError('that code does not match; nothing was changed');
        await q.setTotp(db, u.id, seal(secret, signingSecret(ctx.config)), true);
        // The confirming code is spent, as on the enrolment page: it cannot then sign in.
        await q.acceptTotpStep(db, u.id, step);
        await audit.writeAudit(db, {
          actor: actor(),
          action: 'user.2fa.enable',
          target: email,
          detail: { before: { totp: had }, after: { totp: true }, by: 'cli' },
        });
        out(`second factor of ${email} on; their sessions are signed out`);
      });
    });
}
