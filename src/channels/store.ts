/**
 * The configured chat channels: validation, the sealed URL and secret, and the operator's actions (add,
 * update, remove, list, test) that the CLI (`finrep channels`) and the console call. The whole webhook URL
 * carries the platform's token, so it is sealed like the signing secret (`secret-box`, under the signing
 * secret: JWT_SECRET_KEY or the data folder's secret.key) and only ever shown redacted (`https://host/…`).
 * Every change is audited; the audit detail never holds the URL or the secret.
 */
import type { Db } from '../db/client.ts';
import { writeAudit } from '../db/queries/audit.ts';
import * as q from '../db/queries/channels.ts';
import type { ChannelRow } from '../db/queries/channels.ts';
import { open, seal } from '../web/auth/secret-box.ts';
import type { ChannelAdapter, ChannelDigest, ChannelKind, ChannelOptions, ChannelTarget } from './types.ts';
import { ChannelError } from './types.ts';
import type { CodedText, TextParam } from '../lib/coded-text.ts';
import { channelText as say } from './input-texts.ts';

export type { ChannelRow } from '../db/queries/channels.ts';

/** The kinds a channel can be, in display order. */
export const KINDS: readonly ChannelKind[] = ['wecom', 'feishu', 'dingtalk', 'telegram', 'webhook'];

/** The kinds whose robot signs its requests with a secret (the secret is refused for the others). */
const SIGNING: readonly ChannelKind[] = ['feishu', 'dingtalk'];

/**
 * A field the operator got wrong: `field` names the form field (`name`, `kind`, `url`, `secret`, `chatId`, …);
 * the message is English (the CLI's), `code` and `params` let the console say it in the page's language.
 */
export class ChannelInputError extends Error {
  override readonly name = 'ChannelInputError';
  readonly field: string;
  readonly code: string | null;
  readonly params: Record<string, TextParam>;
  constructor(field: string, message: string | CodedText) {
    super(typeof message === 'string' ? message : message.text);
    this.field = field;
    this.code = typeof message === 'string' ? null : message.code;
    this.params = typeof message === 'string' ? {} : message.params;
  }
}

/** A channel as an operator enters it. */
export interface ChannelInput {
  name: string;
  kind: ChannelKind;
  /** The platform's whole webhook URL (http or https; any host). */
  url: string;
  /** Feishu / DingTalk signing secret; null or absent when the robot does not sign. */
  secret?: string | null;
  /** Recipient group the channel follows; null: every edition. */
  group?: string | null;
  options?: ChannelOptions;
  enabled?: boolean;
}

/**
 * A change to a channel. An absent field is kept; `secret: null` removes the secret, `secret: undefined`
 * (or an empty string, a form's "leave blank to keep") keeps it; `url` likewise keeps the URL when blank.
 * `options` replaces the options as a whole.
 */
export type ChannelPatch = Partial<ChannelInput>;

/** A channel as shown to an operator: nothing secret (URL redacted, the secret only as "set"). */
export interface ChannelView {
  id: number;
  name: string;
  kind: ChannelKind;
  /** `https://qyapi.weixin.qq.com/…` */
  url: string;
  host: string;
  hasSecret: boolean;
  group: string | null;
  enabled: boolean;
  options: ChannelOptions;
  createdAt: Date;
  updatedAt: Date;
}

/** Who made a change, for the audit log: `user:<email>`, `cli:<os user>`, `token:<name>`. @defaultValue 'system' */
export interface ActorOption {
  actor?: string;
}

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;

function checkName(name: unknown): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (!n) throw new ChannelInputError('name', say('channel.name.required'));
  if (!NAME_RE.test(n)) throw new ChannelInputError('name', say('channel.name.invalid', { name: n }));
  return n;
}

function checkKind(kind: unknown): ChannelKind {
  if (typeof kind !== 'string' || !KINDS.includes(kind as ChannelKind))
    throw new ChannelInputError('kind', say('channel.kind.invalid', { kinds: KINDS.join(', ') }));
  return kind as ChannelKind;
}

/** The parsed URL; the message never repeats the URL (it carries a token). */
function checkUrl(url: unknown): URL {
  const s = typeof url === 'string' ? url.trim() : '';
  if (!s) throw new ChannelInputError('url', say('channel.url.required'));
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ChannelInputError('url', say('channel.url.invalid'));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ChannelInputError('url', say('channel.url.scheme', { scheme: u.protocol.replace(':', '') }));
  if (u.username || u.password) throw new ChannelInputError('url', say('channel.url.userinfo'));
  if (s.length > 2048) throw new ChannelInputError('url', say('channel.url.tooLong'));
  return u;
}

function checkSecret(kind: ChannelKind, secret: string | null): string | null {
  if (secret === null) return null;
  if (!SIGNING.includes(kind)) throw new ChannelInputError('secret', say('channel.secret.notSigning', { kind }));
  if (secret.length > 512 || /[\r\n]/.test(secret))
    throw new ChannelInputError('secret', say('channel.secret.invalid'));
  return secret;
}

function checkGroup(group: unknown): string | null {
  if (group === null || group === undefined) return null;
  if (typeof group !== 'string') throw new ChannelInputError('group', say('channel.group.type'));
  const g = group.trim();
  if (!g) return null;
  if (g.length > 64 || /[,，\r\n]/.test(g)) throw new ChannelInputError('group', say('channel.group.invalid'));
  return g;
}

/** The options that apply to `kind`, checked; an option of another kind is refused (it would do nothing). */
export function checkOptions(kind: ChannelKind, options: ChannelOptions | undefined): ChannelOptions {
  const o = options ?? {};
  const out: ChannelOptions = {};
  if (o.chatId !== undefined && o.chatId !== null && String(o.chatId).trim() !== '') {
    if (kind !== 'telegram') throw new ChannelInputError('chatId', say('channel.chatId.notTelegram'));
    const id = String(o.chatId).trim();
    if (!/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/.test(id))
      throw new ChannelInputError('chatId', say('channel.chatId.invalid'));
    out.chatId = id;
  } else if (kind === 'telegram') throw new ChannelInputError('chatId', say('channel.chatId.required'));
  if (o.keywords !== undefined && o.keywords !== null) {
    if (!Array.isArray(o.keywords)) throw new ChannelInputError('keywords', say('channel.keywords.type'));
    const words = [...new Set(o.keywords.map((k) => String(k).trim()).filter(Boolean))];
    if (words.length > 0) {
      if (kind !== 'dingtalk') throw new ChannelInputError('keywords', say('channel.keywords.notDingtalk'));
      if (words.length > 10 || words.some((w) => w.length > 20))
        throw new ChannelInputError('keywords', say('channel.keywords.tooMany'));
      out.keywords = words;
    }
  }
  if (o.format !== undefined && o.format !== null && String(o.format) !== '') {
    if (kind !== 'webhook') throw new ChannelInputError('format', say('channel.format.notWebhook'));
    if (o.format !== 'json' && o.format !== 'slack')
      throw new ChannelInputError('format', say('channel.format.invalid'));
    out.format = o.format;
  } else if (kind === 'webhook') out.format = 'json';
  if (o.maxItems !== undefined && o.maxItems !== null && String(o.maxItems) !== '') {
    const n = Number(o.maxItems);
    if (!Number.isInteger(n) || n < 1 || n > 50)
      throw new ChannelInputError('maxItems', say('channel.maxItems.invalid'));
    out.maxItems = n;
  }
  return out;
}

/** `https://qyapi.weixin.qq.com/…`: the scheme and host of a webhook URL, never its path or query (the token). */
export function redactUrl(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${u.protocol}//${u.host}/…`;
}

function view(row: ChannelRow): ChannelView {
  const plain = row.urlHost.startsWith('http://');
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: `${plain ? '' : 'https://'}${row.urlHost}/…`,
    host: row.urlHost.replace(/^http:\/\//, ''),
    hasSecret: row.secretSealed !== null,
    group: row.group,
    enabled: row.enabled,
    options: row.options,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** `url_host`: the host (and port) of an https URL; a plain-http URL keeps its scheme (`http://127.0.0.1:8080`). */
const hostOf = (u: URL) => (u.protocol === 'https:' ? u.host : `http://${u.host}`);

/** A field left blank: absent, null (a JSON client's "none") or only spaces (a form's empty box). */
const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** The secret as entered: null when blank, refused when it is not text (a number from a JSON body). */
function secretOf(v: unknown): string | null {
  if (blank(v)) return null;
  if (typeof v !== 'string') throw new ChannelInputError('secret', say('channel.secret.invalid'));
  return v.trim();
}

/**
 * Adds a channel. Throws {@link ChannelInputError} for a wrong field or a name already taken.
 *
 * @example
 * await addChannel(db, secret, { name: 'research-wecom', kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…' },
 *   { actor: 'cli:ops' });
 */
export async function addChannel(
  db: Db,
  secret: string,
  input: ChannelInput,
  opts: ActorOption = {},
): Promise<ChannelView> {
  const name = checkName(input.name);
  const kind = checkKind(input.kind);
  const url = checkUrl(input.url);
  const signing = checkSecret(kind, secretOf(input.secret));
  const options = checkOptions(kind, input.options);
  const group = checkGroup(input.group);
  if (await q.getChannelRow(db, name)) throw new ChannelInputError('name', say('channel.name.exists', { name }));
  let row: ChannelRow;
  try {
    row = await q.insertChannel(db, {
      name,
      kind,
      urlSealed: seal(url.href, secret),
      urlHost: hostOf(url),
      secretSealed: signing === null ? null : seal(signing, secret),
      options,
      group,
      enabled: input.enabled ?? true,
    });
  } catch (err) {
    if (/unique|duplicate/i.test(String((err as { cause?: unknown }).cause ?? err)))
      throw new ChannelInputError('name', say('channel.name.exists', { name }));
    throw err;
  }
  await writeAudit(db, {
    actor: opts.actor ?? 'system',
    action: 'channel.add',
    target: name,
    detail: { kind, host: url.host, group, options, secret: signing !== null, enabled: row.enabled },
  });
  return view(row);
}

/**
 * Changes a channel (see {@link ChannelPatch} for what a blank field means). Returns null when there is no
 * channel `name`. A kind changed without a new URL keeps the URL; its secret must still fit the new kind.
 */
export async function updateChannel(
  db: Db,
  secret: string,
  name: string,
  patch: ChannelPatch,
  opts: ActorOption = {},
): Promise<ChannelView | null> {
  const row = await q.getChannelRow(db, name);
  if (!row) return null;
  const kind = patch.kind === undefined ? row.kind : checkKind(patch.kind);
  const newName = patch.name === undefined || blank(patch.name) ? row.name : checkName(patch.name);
  if (newName !== row.name && (await q.getChannelRow(db, newName)))
    throw new ChannelInputError('name', say('channel.name.exists', { name: newName }));
  const url = blank(patch.url) ? null : checkUrl(patch.url);
  let secretSealed = row.secretSealed;
  if (patch.secret === null) secretSealed = null;
  else if (!blank(patch.secret)) secretSealed = seal(checkSecret(kind, secretOf(patch.secret))!, secret);
  else if (secretSealed !== null && !SIGNING.includes(kind))
    throw new ChannelInputError('secret', say('channel.secret.remove', { kind }));
  const options = checkOptions(kind, patch.options ?? (kind === row.kind ? row.options : {}));
  const group = patch.group === undefined ? row.group : checkGroup(patch.group);
  const changed: Record<string, unknown> = {};
  if (newName !== row.name) changed.name = { from: row.name, to: newName };
  if (kind !== row.kind) changed.kind = { from: row.kind, to: kind };
  if (url) changed.host = url.host;
  if (secretSealed !== row.secretSealed) changed.secret = secretSealed === null ? 'removed' : 'changed';
  if (JSON.stringify(options) !== JSON.stringify(row.options)) changed.options = options;
  if (group !== row.group) changed.group = { from: row.group, to: group };
  if (patch.enabled !== undefined && patch.enabled !== row.enabled) changed.enabled = patch.enabled;
  const next = await q.updateChannelRow(db, row.id, {
    name: newName,
    kind,
    ...(url && { urlSealed: seal(url.href, secret), urlHost: hostOf(url) }),
    secretSealed,
    options,
    group,
    ...(patch.enabled !== undefined && { enabled: patch.enabled }),
  });
  if (!next) return null;
  await writeAudit(db, { actor: opts.actor ?? 'system', action: 'channel.update', target: row.name, detail: changed });
  return view(next);
}

/** Removes a channel (its log rows go with it). Returns false when there was none. */
export async function removeChannel(db: Db, name: string, opts: ActorOption = {}): Promise<boolean> {
  const row = await q.deleteChannel(db, name);
  if (!row) return false;
  await writeAudit(db, {
    actor: opts.actor ?? 'system',
    action: 'channel.remove',
    target: name,
    detail: { kind: row.kind, host: view(row).host },
  });
  return true;
}

export async function listChannels(db: Db): Promise<ChannelView[]> {
  return (await q.listChannelRows(db)).map(view);
}

export async function getChannel(db: Db, name: string): Promise<ChannelView | null> {
  const row = await q.getChannelRow(db, name);
  return row ? view(row) : null;
}

/** The sealed fields could not be opened: the signing secret changed since the channel was saved. */
export class ChannelSealError extends Error {
  override readonly name = 'ChannelSealError';
}

/**
 * The channel as an adapter needs it, its URL and secret opened. Throws {@link ChannelSealError} when they
 * were sealed under another signing secret (re-enter the URL: `finrep channels update NAME --url …`).
 */
export function openTarget(row: ChannelRow, secret: string): ChannelTarget {
  const url = open(row.urlSealed, secret);
  const signing = row.secretSealed === null ? null : open(row.secretSealed, secret);
  if (url === null || (row.secretSealed !== null && signing === null))
    throw new ChannelSealError(
      `channel ${row.name}: its URL or secret cannot be opened (sealed under another JWT_SECRET_KEY / secret.key); enter them again`,
    );
  return { name: row.name, kind: row.kind, url, secret: signing, options: row.options };
}

/** What {@link testChannel} needs: the adapter of a kind (P's `adapterFor`), and a clock for signatures. */
export interface TestChannelDeps {
  adapterFor: (kind: ChannelKind) => ChannelAdapter;
  now?: () => Date;
  timeoutMs?: number;
  /** Absolute link shown in the test message (PUBLIC_BASE_URL). */
  publicBaseUrl?: string | null;
}

/** The outcome of a test message: the platform's reply, or what went wrong (never the URL or the secret). */
export type TestResult =
  | { ok: true; status: number; reply: string }
  | { ok: false; error: string; code: string; status: number | null; reply: string | null };

/** The short digest a test message carries. */
export function testDigest(name: string, now: Date, publicBaseUrl: string | null = null): ChannelDigest {
  return {
    kind: 'alert',
    title: `[测试] finrep 通道 ${name}`,
    edition: null,
    webViewUrl: publicBaseUrl,
    items: [
      {
        title: `finrep 测试消息 · ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        url: publicBaseUrl ?? 'https://example.com/',
        source: 'finrep',
        summary: '这是一条测试消息：通道配置正确时，每日报告会推送到这里。This is a test message from finrep.',
        sentiment: 'neutral',
        sentimentScore: 0,
        importance: 0,
        tickers: [],
        category: '测试',
      },
    ],
    rule: { name: 'test', hits: [] },
  };
}

/**
 * Sends a short test message to channel `name` (only its first part, should it split) and returns the
 * platform's reply or the error. Audited as `channel.test`. Returns null when there is no such channel.
 */
export async function testChannel(
  db: Db,
  secret: string,
  name: string,
  deps: TestChannelDeps,
  opts: ActorOption = {},
): Promise<TestResult | null> {
  const row = await q.getChannelRow(db, name);
  if (!row) return null;
  const now = deps.now ?? (() => new Date());
  let result: TestResult;
  try {
    const target = openTarget(row, secret);
    const adapter = deps.adapterFor(row.kind);
    const [message] = adapter.render(testDigest(row.name, now(), deps.publicBaseUrl ?? null), target);
    if (!message) throw new Error('the adapter rendered no message');
    const res = await adapter.send(target, message, {
      now,
      ...(deps.timeoutMs !== undefined && { timeoutMs: deps.timeoutMs }),
    });
    result = { ok: true, status: res.status, reply: res.reply };
  } catch (err) {
    const e = err as Error;
    result =
      err instanceof ChannelError
        ? { ok: false, error: e.message, code: err.code, status: err.status, reply: err.reply }
        : { ok: false, error: e.message, code: e.name, status: null, reply: null };
  }
  await writeAudit(db, {
    actor: opts.actor ?? 'system',
    action: 'channel.test',
    target: name,
    detail: result.ok
      ? { ok: true, status: result.status, reply: result.reply.slice(0, 200) }
      : { ok: false, code: result.code, error: result.error.slice(0, 200) },
  });
  return result;
}

/**
 * An operator's resend of an edition's channel messages: puts its `failed` / `uncertain` rows (of `names`, or
 * every channel) back in the queue, counting `resends`; with `force`, `sent` rows too (they go again from the
 * first part). A failed or uncertain row goes on from the first part not known to be posted. Sending is the
 * next deliver job's or `sendStoredChannels`'. Returns the re-queued channels' names; throws
 * {@link ChannelInputError} (`edition`) when there is no such edition.
 */
export async function resendChannels(
  db: Db,
  o: { date: string; names?: readonly string[]; force?: boolean } & ActorOption,
): Promise<string[]> {
  const { findEditionByDate } = await import('../db/queries/editions.ts');
  const edition = await findEditionByDate(db, o.date);
  if (!edition) throw new ChannelInputError('edition', say('channel.edition.missing', { date: o.date }));
  const names = await q.requeueChannelLog(db, {
    editionId: edition.id,
    ...(o.names && o.names.length > 0 && { channelNames: o.names }),
    statuses: o.force ? ['failed', 'uncertain', 'sent'] : ['failed', 'uncertain'],
  });
  if (names.length > 0)
    await writeAudit(db, {
      actor: o.actor ?? 'system',
      action: 'channel.resend',
      target: names.join(','),
      detail: { edition: o.date, force: o.force ?? false },
    });
  return names;
}
