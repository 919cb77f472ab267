import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { MailError } from './mailer.ts';
import type { Mailer, MailMessage, SendResult } from './mailer.ts';
import { compileMessage } from './mime.ts';

/** A file-system-safe, lower-case form of an address: `Zhang.San+cn@Example.com` → `zhang.san+cn@example.com`, `张三@例子.cn` → `__@__.cn`. */
function safeAddress(address: string): string {
  return address
    .toLowerCase()
    .replace(/[^a-z0-9@._+-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 100);
}

/** The outbox file name of a message: stable for a Message-ID, so a re-send overwrites instead of duplicating. */
export function outboxFileName(msg: Pick<MailMessage, 'to' | 'messageId'>): string {
  const hash = createHash('sha256').update(msg.messageId).digest('hex').slice(0, 8);
  return `${safeAddress(msg.to.address)}-${hash}.eml`;
}

function outboxError(message: string, err: unknown): MailError {
  const sys = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return new MailError(`${message}: ${err instanceof Error ? err.message : String(err)}`, {
    code: 'EOUTBOX',
    // A read-only or missing folder stays that way; a full disk may not.
    permanent: sys === 'EACCES' || sys === 'EPERM' || sys === 'EROFS' || sys === 'ENOTDIR',
    scope: 'mailer',
    ...(typeof sys === 'string' && { originalCode: sys }),
    cause: err,
  });
}

/** Writes `data` to `file` through a temporary file in the same folder, so a reader never sees half a message. */
async function writeAtomically(file: string, data: Buffer): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(tmp, 'wx', 0o640);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * A mailer that writes each message as an RFC 822 `.eml` file into `dir` (created if missing) instead of
 * sending it — the embedded shape's default when `SMTP_HOST` is unset. The bytes are those the SMTP
 * mailer would send (same nodemailer pipeline, CRLF line ends); any mail client opens them.
 *
 * @example
 * const mailer = createOutboxMailer('./data/outbox', { log });
 * const { response } = await mailer.send(msg); // → 'data/outbox/a@example.com-1f2e3d4c.eml'
 */
export function createOutboxMailer(dir: string, deps: { log: Logger }): Mailer {
  const log = deps.log.child({ component: 'outbox' });
  let ready: Promise<void> | null = null;
  const ensureDir = (): Promise<void> => {
    ready ??= mkdir(dir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => {
        ready = null;
        throw outboxError(`cannot create outbox folder ${dir}`, err);
      },
    );
    return ready;
  };

  return {
    kind: 'outbox',

    async send(msg: MailMessage): Promise<SendResult> {
      await ensureDir();
      let raw: Buffer;
      try {
        raw = await compileMessage(msg);
      } catch (err) {
        throw new MailError(`cannot build message: ${err instanceof Error ? err.message : String(err)}`, {
          code: 'EMESSAGE',
          permanent: true,
          scope: 'recipient',
          cause: err,
        });
      }
      const file = path.join(dir, outboxFileName(msg));
      try {
        await writeAtomically(file, raw);
      } catch (err) {
        throw outboxError(`cannot write ${file}`, err);
      }
      log.debug(
        { to: msg.to.address, message_id: msg.messageId, path: file, bytes: raw.length },
        'mail written to outbox',
      );
      return { messageId: msg.messageId, response: file, accepted: true };
    },

    async verify(): Promise<void> {
      await ensureDir();
      try {
        await access(dir, constants.W_OK);
      } catch (err) {
        throw outboxError(`outbox folder ${dir} is not writable`, err);
      }
    },

    async close(): Promise<void> {},
  };
}
