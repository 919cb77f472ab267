/**
 * "Test this source" as the CLI (`finrep sources test`) and the console run it: a preview with the crawl
 * settings, a Chromium pool for a dynamic source (closed afterwards), and a ceiling on the time it may take.
 */
import type { Config } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { createBrowserPool } from './browser.ts';
import { previewSource } from './preview.ts';
import type { SourcePreview } from './preview.ts';
import type { SourceDefinition } from './source-spec.ts';

export interface PreviewRunDeps {
  crawl: Config['crawl'];
  timeZone: string;
  log: Logger;
}

/** A preview and the time budget it had. */
export type PreviewRun = SourcePreview & { budget_sec: number; timed_out: boolean };

/**
 * Collects `def` once, storing nothing. The budget is the source's `rules.budgetSec`, else
 * `CRAWL_SOURCE_BUDGET_SEC`, at most `maxBudgetSec` (a web request should not wait minutes).
 *
 * @example const p = await runPreview(def, { crawl: config.crawl, timeZone: config.timeZone, log }, { maxBudgetSec: 45 });
 */
export async function runPreview(
  def: SourceDefinition,
  deps: PreviewRunDeps,
  opts: { maxBudgetSec?: number } = {},
): Promise<PreviewRun> {
  const { crawl } = deps;
  const wanted = def.rules?.budgetSec ?? crawl.sourceBudgetSec;
  const budget = Math.max(1, Math.min(wanted, opts.maxBudgetSec ?? wanted));
  // the collectors read the budget from the rules: the ceiling must reach them too
  const tried: SourceDefinition =
    def.rules && budget !== wanted ? { ...def, rules: { ...def.rules, budgetSec: budget } } : def;
  const browser =
    def.kind === 'dynamic'
      ? createBrowserPool({
          executablePath: crawl.chromiumPath,
          maxPages: 2,
          navigationTimeoutMs: Math.min(crawl.timeoutSec, budget) * 1000,
          log: deps.log,
        })
      : undefined;
  try {
    const p = await previewSource(tried, {
      log: deps.log,
      timeZone: deps.timeZone,
      userAgent: crawl.userAgent,
      timeoutMs: Math.min(crawl.timeoutSec, budget) * 1000,
      budgetSec: budget,
      ...(browser && { browser }),
    });
    const timedOut =
      !p.ok && (/time budget|timed? ?out|timeout/i.test(p.error ?? '') || p.duration_ms >= budget * 1000 - 100);
    return { ...p, budget_sec: budget, timed_out: timedOut };
  } finally {
    await browser?.close();
  }
}
