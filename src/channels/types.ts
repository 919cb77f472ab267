/**
 * The contract between the chat platforms (`platforms/*.ts`: payload, signature, limits, replies) and the
 * senders that use them (the edition's channel run, intraday alerts). A sender builds a platform-neutral
 * {@link ChannelDigest}, asks the channel's {@link ChannelAdapter} to render it into one or more
 * {@link ChannelMessage}s under the platform's size limit, and posts them one by one, pacing them by the
 * adapter's {@link ChannelRateLimit}. Third-party text (titles, summaries, URLs) stays data: each adapter
 * escapes it for its own markup.
 */
import type { ChannelKind, ChannelOptions } from '../db/schema/channels.ts';
import type { Sentiment } from '../domain.ts';

export type { ChannelKind, ChannelOptions } from '../db/schema/channels.ts';

/** One story as a channel shows it. */
export interface DigestItem {
  title: string;
  url: string;
  source: string;
  summary: string;
  sentiment: Sentiment;
  /** -1 … 1 */
  sentimentScore: number;
  /** 0 … 100 */
  importance: number;
  tickers: string[];
  /** The section's label (宏观 / 行业 / 公司 …). */
  category: string;
  /** Pushed by an intraday alert before this edition (marked 已预警). */
  alerted?: boolean;
}

/** How grave an operational alert is; `resolved` closes one. */
export type OpsSeverity = 'critical' | 'warning' | 'resolved';

/**
 * What a channel is asked to send: an edition's top stories, one intraday alert, or an operational alert
 * (src/ops/alerts.ts: an edition late, a source failing, the LLM budget near its cap — no story).
 */
export interface ChannelDigest {
  kind: 'edition' | 'alert' | 'ops';
  /** `金融情报日报 2026-12-05`, `[预警] 规则名 · story title`, or `[运维告警] 日报 2026-12-05 逾期未送达`. */
  title: string;
  /** The edition date (YYYY-MM-DD) for an edition; null for an alert. */
  edition: string | null;
  /**
   * Absolute link to the edition's (or the story's) web view, or for an operational alert to the console
   * page that helps (runs, sources, usage); null when PUBLIC_BASE_URL is unset.
   */
  webViewUrl: string | null;
  /** Edition counts for the header line; absent for an alert. */
  counts?: { sources: number; articles: number; stories: number };
  mood?: { positive: number; neutral: number; negative: number };
  /** The stories, in order (an edition's top list, capped by the channel's `maxItems`). */
  items: DigestItem[];
  /** An alert: the rule that matched and what it matched on. */
  rule?: { name: string; hits: string[] };
  /**
   * An operational alert: its severity and what happened, a few short lines of plain text (they quote a
   * source's name and its last error: third-party text, escaped by each platform like a story's).
   */
  ops?: { severity: OpsSeverity; lines: string[] };
}

/** A channel as an adapter sees it: the sealed fields opened. Never logged whole (the URL carries a token). */
export interface ChannelTarget {
  name: string;
  kind: ChannelKind;
  /** The operator's whole webhook URL (any host: tests point it at 127.0.0.1). */
  url: string;
  /** Feishu / DingTalk signing secret; null when the robot does not sign. */
  secret: string | null;
  options: ChannelOptions;
}

/** One request body, ready to POST as JSON. */
export interface ChannelMessage {
  body: unknown;
  /** 1-based part number and the total, when a digest was split. */
  part: number;
  parts: number;
}

/** The platform's documented pace for one robot / bot / hook. */
export interface ChannelRateLimit {
  /** Requests per minute (WeCom 20, DingTalk 20, Feishu 100, Telegram 20 for a group, …). */
  perMinute: number;
}

/** A request the platform accepted. */
export interface ChannelSendResult {
  /** HTTP status. */
  status: number;
  /** The platform's own reply, trimmed for the log (`{"errcode":0,"errmsg":"ok"}`). */
  reply: string;
}

/**
 * A request that did not go through. `permanent`: sending it again cannot help (bad signature, bad token,
 * keyword missing, chat not found). `retryAfterMs`: the platform asked us to wait (rate limit). `uncertain`:
 * the request was written but no reply came (a timeout or a reset after the body went out) — the message
 * may have been posted, so it is never re-sent automatically.
 */
export class ChannelError extends Error {
  override readonly name = 'ChannelError';
  readonly code: string;
  readonly permanent: boolean;
  readonly retryAfterMs: number | null;
  readonly uncertain: boolean;
  readonly status: number | null;
  readonly reply: string | null;

  constructor(
    message: string,
    opts: {
      code: string;
      permanent?: boolean;
      retryAfterMs?: number | null;
      uncertain?: boolean;
      status?: number | null;
      reply?: string | null;
      cause?: unknown;
    },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.permanent = opts.permanent ?? false;
    this.retryAfterMs = opts.retryAfterMs ?? null;
    this.uncertain = opts.uncertain ?? false;
    this.status = opts.status ?? null;
    this.reply = opts.reply ?? null;
  }
}

/** One platform. */
export interface ChannelAdapter {
  kind: ChannelKind;
  rateLimit: ChannelRateLimit;
  /** The digest as this platform renders it best, split or trimmed under its size limit (never empty). */
  render(digest: ChannelDigest, target: ChannelTarget): ChannelMessage[];
  /**
   * Posts one message (signing it where the platform wants a signature) and reads the platform's reply:
   * resolves when it was accepted, throws a {@link ChannelError} otherwise.
   */
  send(
    target: ChannelTarget,
    message: ChannelMessage,
    opts?: { signal?: AbortSignal; now?: () => Date; timeoutMs?: number },
  ): Promise<ChannelSendResult>;
}
