/**
 * finrep's metrics, one module, one naming scheme (`finrep_<thing>_<unit>`, counters end in `_total`,
 * durations in `_seconds`). This file is the *recorder*: plain counters and histograms in memory, with no
 * dependency, so that stages, jobs and the web server can record at their choke points without loading
 * prom-client (it costs ~100 ms at start). `metrics-registry.ts` turns them into a prom-client registry when
 * `/metrics` is first asked for.
 *
 * Labels are low-cardinality on purpose: a stage, a queue, a source kind, a provider, an outcome, a route
 * pattern — never a URL, an address, an e-mail or an edition date.
 */

/** Label values of one series. */
export type Labels = Record<string, string>;

/** One sample as prom-client's registry prints it (`metricName` for a histogram's `_bucket`/`_sum`/`_count`). */
export interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** A family of series as prom-client's registry reads it (`get()` is its collector interface). */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }>;
}

const key = (names: readonly string[], labels: Labels) => names.map((n) => labels[n] ?? '').join('\u0000');

/** A monotonically increasing count per label set. */
export class CounterFamily implements Family {
  readonly type = 'counter' as const;
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by > 0)) return;
    const k = key(this.labelNames, labels);
    const s = this.series.get(k);
    if (s) s.value += by;
    else this.series.set(k, { labels: pick(this.labelNames, labels), value: by });
  }

  /** The current value of one label set (tests, and the embedded status page). */
  value(labels: Labels = {}): number {
    return this.series.get(key(this.labelNames, labels))?.value ?? 0;
  }

  async get() {
    const values = [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }
}

/** A value that goes up and down per label set (jobs running now). */
export class GaugeFamily implements Family {
  readonly type = 'gauge' as const;
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}

  add(labels: Labels, by: number): void {
    const k = key(this.labelNames, labels);
    const s = this.series.get(k);
    if (s) s.value += by;
    else this.series.set(k, { labels: pick(this.labelNames, labels), value: by });
  }

  async get() {
    const values = [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }
}

/** Observations in cumulative buckets, with their sum and count (Prometheus' histogram). */
export class HistogramFamily implements Family {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value)) return;
    const k = key(this.labelNames, labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: pick(this.labelNames, labels), buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Observations so far of one label set (tests). */
  count(labels: Labels): number {
    return this.series.get(key(this.labelNames, labels))?.count ?? 0;
  }

  async get() {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      this.bounds.forEach((le, i) =>
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...s.labels, le: String(le) },
          value: s.buckets[i]!,
        }),
      );
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }
}

/** A gauge family computed when it is read (breaker states, queue depths, disk space). */
export class CallbackGauge implements Family {
  readonly type = 'gauge' as const;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => Promise<Sample[]> | Sample[],
  ) {}

  async get() {
    return { name: this.name, help: this.help, type: this.type, values: await this.read(), aggregator: 'sum' as const };
  }
}

function pick(names: readonly string[], labels: Labels): Labels {
  return Object.fromEntries(names.map((n) => [n, labels[n] ?? '']));
}

const FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SLOW = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600];

/** Every family this process records (each process has its own; Prometheus sums them over the instances). */
export const FAMILIES = {
  httpDuration: new HistogramFamily(
    'finrep_http_request_duration_seconds',
    'Web requests by route pattern, method and status code.',
    ['method', 'route', 'status'],
    FAST,
  ),
  stageDuration: new HistogramFamily(
    'finrep_stage_duration_seconds',
    'Pipeline stages of edition runs (collect, dedup, extract, score, compose, deliver) by outcome.',
    ['stage', 'status'],
    SLOW,
  ),
  jobDuration: new HistogramFamily(
    'finrep_job_duration_seconds',
    'Job attempts (tasks) by queue and outcome; status="error" over all is the task failure rate.',
    ['queue', 'status'],
    [0.05, 0.25, 1, 5, 15, 60, 300, 1200, 3600],
  ),
  jobsActive: new GaugeFamily('finrep_jobs_active', 'Jobs running in this process now, by queue.', ['queue']),
  fetches: new CounterFamily(
    'finrep_fetches_total',
    'Source fetches by source kind (rss, web, dynamic) and outcome (ok, not_modified, failed).',
    ['kind', 'outcome'],
  ),
  collectedItems: new CounterFamily(
    'finrep_collected_items_total',
    'Items read from sources: new articles, or exact duplicates of stored ones (same URL or text).',
    ['result'],
  ),
  dedupArticles: new CounterFamily(
    'finrep_dedup_articles_total',
    'Articles clustered by the dedup stage: the first of a story (unique) or a near-duplicate of one.',
    ['result'],
  ),
  llmCalls: new CounterFamily('finrep_llm_calls_total', 'LLM call attempts (ledger rows) by provider and outcome.', [
    'provider',
    'outcome',
  ]),
  llmTokens: new CounterFamily(
    'finrep_llm_tokens_total',
    'LLM tokens by provider and kind (prompt, cached: prompt tokens served from the cache, completion).',
    ['provider', 'kind'],
  ),
  llmCost: new CounterFamily('finrep_llm_cost_cny_total', 'LLM spend in CNY (the ledger cost) by provider.', [
    'provider',
  ]),
  llmDuration: new HistogramFamily(
    'finrep_llm_call_duration_seconds',
    'LLM call latency by provider.',
    ['provider'],
    [0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 90, 180],
  ),
  mails: new CounterFamily(
    'finrep_mails_total',
    'Mail attempts by outcome: sent, failed (given up), uncertain (may have arrived; not retried), retrying.',
    ['outcome'],
  ),
} as const;

/** What a circuit breaker looks like from here (extract/breaker.ts): its provider's name and its state. */
export interface WatchedBreaker {
  provider: { name: string };
  breaker: { state: 'closed' | 'open' | 'half_open' };
}

const watchedBreakers = new Set<readonly WatchedBreaker[]>();
const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;

/** `finrep_llm_breaker_state{provider,state}`: 1 for each provider's current state, read at scrape time. */
export const breakerState = new CallbackGauge(
  'finrep_llm_breaker_state',
  "The LLM providers' circuit breakers in this process: 1 on the current state (closed, open, half_open).",
  () => {
    const samples: Sample[] = [];
    for (const tiers of watchedBreakers)
      for (const t of tiers)
        for (const state of BREAKER_STATES)
          samples.push({ labels: { provider: t.provider.name, state }, value: t.breaker.state === state ? 1 : 0 });
    return samples;
  },
);

/**
 * Shows a process's LLM tiers' breakers on its metrics; the returned function stops it.
 * @example const unwatch = watchBreakers(tiers); … unwatch();
 */
export function watchBreakers(tiers: readonly WatchedBreaker[]): () => void {
  watchedBreakers.add(tiers);
  return () => void watchedBreakers.delete(tiers);
}

/**
 * The recording calls, one per place where something ends (named after what happened, for the hook to read
 * as one line).
 */
export const metrics = {
  /** A web request answered. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    FAMILIES.httpDuration.observe({ method, route, status: String(status) }, seconds);
  },
  /** A pipeline stage ended (`Stages.end` / `Stages.fail`). */
  stageEnded(stage: string, ok: boolean, seconds: number): void {
    FAMILIES.stageDuration.observe({ stage, status: ok ? 'success' : 'error' }, seconds);
  },
  /** A job attempt started; call the returned function when it ends. */
  jobStarted(queue: string): (ok: boolean) => void {
    const t0 = performance.now();
    FAMILIES.jobsActive.add({ queue }, 1);
    return (ok) => {
      FAMILIES.jobsActive.add({ queue }, -1);
      FAMILIES.jobDuration.observe({ queue, status: ok ? 'success' : 'error' }, (performance.now() - t0) / 1000);
    };
  },
  /** A source was fetched (or failed), with what its items were. */
  sourceFetched(kind: string, outcome: 'ok' | 'not_modified' | 'failed', newItems = 0, duplicates = 0): void {
    FAMILIES.fetches.inc({ kind, outcome });
    FAMILIES.collectedItems.inc({ result: 'new' }, newItems);
    FAMILIES.collectedItems.inc({ result: 'duplicate' }, duplicates);
  },
  /** The dedup stage clustered articles. */
  deduplicated(unique: number, nearDuplicates: number): void {
    FAMILIES.dedupArticles.inc({ result: 'unique' }, unique);
    FAMILIES.dedupArticles.inc({ result: 'near_duplicate' }, nearDuplicates);
  },
  /** An LLM call attempt was written to the ledger. */
  llmCall(u: {
    provider: string;
    outcome: string;
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    cost: number;
    latencyMs: number;
  }): void {
    const provider = u.provider;
    FAMILIES.llmCalls.inc({ provider, outcome: u.outcome });
    FAMILIES.llmTokens.inc({ provider, kind: 'prompt' }, u.promptTokens);
    FAMILIES.llmTokens.inc({ provider, kind: 'cached' }, u.cachedTokens);
    FAMILIES.llmTokens.inc({ provider, kind: 'completion' }, u.completionTokens);
    FAMILIES.llmCost.inc({ provider }, u.cost);
    FAMILIES.llmDuration.observe({ provider }, u.latencyMs / 1000);
  },
  /** A mail attempt was recorded in delivery_log. */
  mail(outcome: 'sent' | 'failed' | 'uncertain' | 'retrying'): void {
    FAMILIES.mails.inc({ outcome });
  },
};

/**
 * The same job handlers, each attempt timed and counted (`finrep_job_duration_seconds{queue,status}`,
 * `finrep_jobs_active{queue}`) — the one place every job passes, under BullMQ and in process alike.
 */
export function timedHandlers<H extends Record<string, ((job: never) => Promise<unknown>) | undefined>>(
  handlers: H,
): H {
  const timed: Record<string, (job: never) => Promise<unknown>> = {};
  for (const [queue, handler] of Object.entries(handlers)) {
    if (!handler) continue;
    timed[queue] = async (job) => {
      const end = metrics.jobStarted(queue);
      try {
        const result = await handler(job);
        end(true);
        return result;
      } catch (err) {
        end(false);
        throw err;
      }
    };
  }
  return timed as H;
}
