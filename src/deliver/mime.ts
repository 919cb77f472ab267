import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node';
import type { MailAttachment, MailMessage } from './mailer.ts';

/**
 * Maps our message to nodemailer's options. Only in-memory content is passed, never a path or URL (the
 * transports also refuse file and URL access).
 */
export function toSendMailOptions(msg: MailMessage): SendMailOptions {
  return {
    from: { name: msg.from.name, address: msg.from.address },
    to: msg.to.name ? { name: msg.to.name, address: msg.to.address } : msg.to.address,
    // One recipient per message: the envelope is exactly the To address, whatever the headers say.
    envelope: { from: msg.from.address, to: [msg.to.address] },
    subject: msg.subject,
    text: msg.text,
    html: msg.html,
    attachments: msg.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      ...(a.cid !== undefined && { cid: a.cid, contentDisposition: 'inline' as const }),
    })),
    headers: { ...msg.headers },
    messageId: msg.messageId,
    date: msg.date,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

const composer = nodemailer.createTransport({
  streamTransport: true,
  buffer: true,
  newline: 'windows',
  disableFileAccess: true,
  disableUrlAccess: true,
  logger: false,
});

/**
 * An attachment's MIME part (its headers and its base64 body, CRLF line ends) exactly as nodemailer writes it
 * inside a message: the part nodemailer's mail composer makes of `toSendMailOptions`' attachment entry.
 */
async function encodePart(a: MailAttachment): Promise<Buffer> {
  const parent = new MimeNode('multipart/mixed', { disableFileAccess: true, disableUrlAccess: true });
  const node = parent.createChild(a.contentType, {
    filename: a.filename,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  if (a.cid !== undefined) node.setHeader('Content-Id', `<${a.cid.replace(/[<>]/g, '')}>`);
  node.setHeader('Content-Transfer-Encoding', 'base64');
  node.setHeader('Content-Disposition', a.cid !== undefined ? 'inline' : 'attachment');
  node.setContent(a.content);
  const built = await node.build();
  // Built alone, a node's output gets a final line end (LastNewline) that inside a message is the parent's.
  return built.subarray(0, built.length - (built.subarray(-2).toString('latin1') === '\r\n' ? 2 : 0));
}

/**
 * Encoded parts by attachment content: every copy of an edition carries the same workbook and charts (the
 * same Buffers), encoded once and shared by all its messages. Held only as long as the content is.
 */
const encodedParts = new WeakMap<Buffer, Map<string, Promise<Buffer>>>();

function sharedPart(a: MailAttachment): Promise<Buffer> {
  let byHeaders = encodedParts.get(a.content);
  if (!byHeaders) {
    byHeaders = new Map();
    encodedParts.set(a.content, byHeaders);
  }
  const key = JSON.stringify([a.filename, a.contentType, a.cid ?? null]);
  let part = byHeaders.get(key);
  if (!part) {
    part = encodePart(a);
    part.catch(() => byHeaders.delete(key));
    byHeaders.set(key, part);
  }
  return part;
}

/** Stand-ins for the shared parts: unique to this process, letters, digits and dashes only. */
const MARKER = `FINREP-SHARED-PART-${randomBytes(12).toString('hex')}-`;

/** Attachments smaller than this are encoded with each message (sharing them saves nothing). */
const SHARE_FROM_BYTES = 16 * 1024;

/**
 * The complete RFC 5322 message (CRLF line ends) as pieces to send one after the other: the message's own
 * bytes, and between them the attachments' encoded parts, shared with every other message that carries the
 * same attachment content (a 500-recipient edition encodes its workbook once, not 500 times, and holds no
 * copy of it per message). Byte for byte what `compileMessage` gives.
 */
export async function compileMessageParts(msg: MailMessage): Promise<Buffer[]> {
  const shared = msg.attachments.map((a) => (a.content.length >= SHARE_FROM_BYTES ? sharedPart(a) : null));
  if (shared.every((p) => p === null)) return [await compileWhole(msg)];
  const options = toSendMailOptions(msg);
  // The same entries (so the message's structure stays: inline images in multipart/related), each shared
  // one's content a stand-in that is then replaced by the encoded part.
  options.attachments = options.attachments!.map((a, i) => (shared[i] ? { ...a, raw: `${MARKER}${i}` } : a));
  const [own, ...parts] = await Promise.all([compileWhole(msg, options), ...shared]);
  // The parts in the order the message holds them (inline images, in multipart/related, come before the
  // attachments of multipart/mixed).
  const places = shared
    .map((p, i) => (p ? { i, marker: `${MARKER}${i}`, found: own.indexOf(`${MARKER}${i}`, 0, 'latin1') } : null))
    .filter((p) => p !== null)
    .sort((x, y) => x.found - y.found);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const { i, marker, found } of places) {
    if (found < 0) throw new Error(`attachment ${i} missing from the composed message`);
    pieces.push(own.subarray(at, found), parts[i]!);
    at = found + marker.length;
  }
  pieces.push(own.subarray(at));
  return pieces;
}

async function compileWhole(msg: MailMessage, options: SendMailOptions = toSendMailOptions(msg)): Promise<Buffer> {
  const info = await composer.sendMail(options);
  if (!Buffer.isBuffer(info.message)) throw new Error('stream transport returned no buffer');
  return info.message;
}

/**
 * The complete RFC 5322 message (CRLF line ends) as both mailers deliver it: the SMTP mailer streams these
 * bytes after DATA (as `compileMessageParts` gives them), the outbox writes them to an `.eml` file.
 */
export async function compileMessage(msg: MailMessage): Promise<Buffer> {
  const pieces = await compileMessageParts(msg);
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}
