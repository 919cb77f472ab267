import { editionsQ, runsQ } from '../../db/queries/index.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import type { RunSummary } from '../summary.ts';
import type { CollectReport } from './collect.ts';
import type { Composed } from './compose.ts';
import type { Delivered } from './deliver.ts';
import type { Extracted } from './extract.ts';
import { eventText } from '../event-texts.ts';

/** What the phases produced, for the summary. */
export interface Outcome {
  collect: CollectReport;
  extracted: Extracted;
  composed: Composed;
  delivered: Delivered | null;
}

/** The run's summary (`finrep run --json`), stored on the edition and the run, which end here. */
export async function finishPhase(deps: EditionDeps, run: EditionRun, outcome: Outcome): Promise<RunSummary> {
  const summary = runSummary(deps, run, outcome);
  const d = outcome.delivered;
  await editionsQ.updateEdition(deps.db, run.editionId, {
    // An uncertain delivery (a sender died mid-conversation; never re-sent on its own) needs an operator.
    status: d ? (d.failed > 0 || d.uncertain > 0 || d.error ? 'partial' : 'delivered') : 'composed',
    summary: summary as unknown as Record<string, unknown>,
    ...(d ? { deliveredAt: deps.now() } : {}),
  });
  await runsQ.finishRun(deps.db, run.runId, summary.status, summary as unknown as Record<string, unknown>, null);
  await run.stages.event(null, 'info', eventText('run.finished', { status: summary.status }));
  return summary;
}

function runSummary(deps: EditionDeps, run: EditionRun, { collect, extracted, composed, delivered: d }: Outcome) {
  const partial =
    collect.failed_sources > 0 ||
    run.degraded.length > 0 ||
    (d !== null && (d.failed > 0 || d.uncertain > 0 || d.error !== null || d.retrying > 0)) ||
    (d?.channels !== undefined && (d.channels.failed > 0 || d.channels.uncertain > 0 || d.channels.error !== null));
  const { files } = composed;
  const summary: RunSummary = {
    edition: run.data.date,
    status: partial ? 'partial' : 'ok',
    dry_run: run.data.dryRun ?? false,
    collect: {
      sources: collect.sources,
      fetched: collect.fetched,
      new_articles: collect.new_articles,
      failed_sources: collect.failed_sources,
      errors: collect.errors,
    },
    dedup: {
      unique: run.dedup.unique,
      clusters: extracted.stories.length,
      duplicates: collect.duplicates + run.dedup.nearDuplicates,
    },
    extract: extracted.summary,
    report: {
      items: composed.items,
      html: files.webview,
      email_html: files.emailHtml,
      text: files.text,
      xlsx: files.xlsx,
    },
    deliver: d
      ? {
          recipients: d.recipients,
          sent: d.sent,
          failed: d.failed,
          skipped: d.skipped,
          uncertain: d.uncertain,
          transport: d.transport,
          error: d.error,
          ...(d.channels && { channels: d.channels }),
        }
      : { recipients: 0, sent: 0, failed: 0, skipped: 0, uncertain: 0, transport: null, error: null },
    timings_ms: run.stages.timings,
    run_id: run.runId,
    degraded: run.degraded,
    deadline: run.deadline?.toISOString() ?? null,
    queue: deps.queue.kind,
  };
  return summary;
}
