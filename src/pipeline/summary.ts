/** The run summary printed by `finrep run --json` (DESIGN §6; fields may be added, never renamed). */
export interface RunSummary {
  edition: string;
  status: 'ok' | 'partial' | 'failed';
  dry_run: boolean;
  collect: { sources: number; fetched: number; new_articles: number; failed_sources: number; errors: { source: string; error: string }[] };
  dedup: { unique: number; clusters: number; duplicates: number };
  extract: {
    articles: number; by_provider: Record<string, number>; cached: number; prompt_tokens: number; cached_tokens: number;
    completion_tokens: number; cost: number; currency: 'CNY'; degraded: string[];
  };
  report: { items: number; html: string; email_html: string; text: string; xlsx: string };
  deliver: { recipients: number; sent: number; failed: number; skipped: number; uncertain: number; transport: 'smtp' | 'outbox' | null; error: string | null };
  timings_ms: Record<string, number>;
}
