/**
 * What a run says on its events and stage lines (`run_events.message`, `run_stages.counts.line`), in English,
 * by code: the edition's stages, its delivery and the intraday alerts. The event keeps the code and params in
 * its `data` (the stage in `counts.line_text`), so the console says the line in the page's language
 * (`web/i18n/areas/texts.ts`); the CLI and the logs print the English.
 */
import { textsOf } from '../lib/coded-text.ts';

export const EVENT_TEXTS = {
  'stage.started': '{stage} started',
  'run.finished': 'run {status}',
  'run.resumed': 'run resumed by {worker} (started by {previous}, attempt {attempt})',
  'run.retrying': 'attempt {attempt} of {attempts} failed: {error}; retrying in {seconds} s',
  'jobs.requeuedOne': '1 {queue} job was missing from the queue and queued again',
  'jobs.requeued': '{count} {queue} jobs were missing from the queue and queued again',
  'collect.done': '{sources} sources, {items} items, {fresh} new, {failed} failed',
  'deadline.reached': 'deadline {deadline} reached during {phase}',
  'dedup.done': '{unique} new stories, {near} near-duplicates',
  'dedup.cutOff': 'cut off by the deadline',
  'extract.done': '{stories} stories, {extracted} extracted',
  'extract.doneLocal': '{stories} stories, {extracted} extracted, {local} locally',
  'extract.local': '{why}: {count} stories extracted by the local extractor',
  'extract.why.deadline': 'deadline {deadline}',
  'extract.why.failed': 'extraction jobs failed',
  'score.done': '{top} top stories, {sections} in sections',
  /** The CLI's line goes on with ` → <the web view's file>`, which is not a param (no server path in data). */
  'compose.done': '{items} items, email {kb} KB',
  'compose.doneTrimmed': '{items} items, email {kb} KB ({trimmed} trimmed)',
  'review.waiting': 'draft waits for an editor until {deadline}',
  'review.approved': 'approved by {by}',
  'review.approvedEdited': 'approved by {by} with edits',
  'review.deadline': 'nobody approved it by its deadline: sent as composed',
  'deliver.done': '{sent} sent, {failed} failed, {skipped} skipped{error}{channels}',
  'deliver.error': ' — {error}',
  'deliver.channels': '; channels {sent} sent, {failed} failed, {uncertain} uncertain, {skipped} skipped{error}',
  'alerts.done': '{rules} rules, {matched} matches: {sent} sent, {suppressed} suppressed, {failed} failed',
} as const;

export type EventCode = keyof typeof EVENT_TEXTS;

/** A run's line: `eventText('dedup.done', { unique: 12, near: 3 })`. */
export const eventText = textsOf(EVENT_TEXTS);
