/** The run summary printed by `finrep run --json` (DESIGN §6; fields may be added, never renamed). */
export interface RunSummary {
  edition: string;
  status: 'ok' | 'partial' | 'failed';
  dry_run: boolean;
  collect: {
    sources: number;
    fetched: number;
    new_articles: number;
    failed_sources: number;
    errors: { source: string; error: string }[];
  };
  dedup: { unique: number; clusters: number; duplicates: number };
  extract: {
    articles: number;
    by_provider: Record<string, number>;
    cached: number;
    prompt_tokens: number;
    cached_tokens: number;
    completion_tokens: number;
    cost: number;
    currency: 'CNY';
    degraded: string[];
  };
  report: { items: number; html: string; email_html: string; text: string; xlsx: string };
  deliver: {
    recipients: number;
    sent: number;
    failed: number;
    skipped: number;
    uncertain: number;
    transport: 'smtp' | 'outbox' | null;
    error: string | null;
    /** The edition's chat channels (docs/channels.md); absent in summaries of older runs. */
    channels?: {
      channels: number;
      sent: number;
      failed: number;
      skipped: number;
      uncertain: number;
      retrying: number;
      error: string | null;
    };
  };
  timings_ms: Record<string, number>;
  /** The run's record (`runs.id`; its stages and events in `run_stages` / `run_events`). */
  run_id?: number;
  /** What this edition did not do as configured (the deadline guard fired, sources left out, jobs failed). */
  degraded?: string[];
  /** When the deadline guard was set to fire (ISO), or null without a deadline. */
  deadline?: string | null;
  /** How the stages ran: `in-process` or `bullmq`. */
  queue?: 'in-process' | 'bullmq';
}
