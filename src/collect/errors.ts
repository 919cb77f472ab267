/** Why a fetch failed, in words a caller can branch on (retry, back off, alert). */
export type FetchErrorCode =
  | 'timeout'
  | 'too_large'
  | 'http_status'
  | 'network'
  | 'bad_url'
  | 'too_many_redirects'
  | 'private_address'
  /** Stopped by the caller's signal (a source's time budget); never retried. */
  | 'aborted';

/** A URL could not be fetched; `message` is meant for the operator (it names the URL and the reason). */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly url: string;
  readonly code: FetchErrorCode;
  readonly status: number | undefined;
  /** Delay the server asked for (Retry-After on 429/503), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    opts: { url: string; code: FetchErrorCode; status?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.url = opts.url;
    this.code = opts.code;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** A fetched document (feed, page) could not be understood or was refused as unsafe. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  readonly url: string;

  constructor(message: string, opts: { url: string; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.url = opts.url;
  }
}

/** A source could not be collected for a reason that is neither a fetch nor a parse failure. */
export class CollectError extends Error {
  override readonly name = 'CollectError';

  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}
