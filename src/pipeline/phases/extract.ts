import { articlesQ, extractionsQ } from '../../db/queries/index.ts';
import type { Extraction } from '../../domain.ts';
import { degradedTexts, runExtract } from '../../extract/run.ts';
import type { CodedText } from '../../lib/coded-text.ts';
import { eventText } from '../event-texts.ts';
import type { ExtractOutcomes, ExtractSummary } from '../../extract/run.ts';
import { articleOfJob, isFinished, jobIds } from '../queue.ts';
import type { ExtractJobResult } from '../queue.ts';
import { deadlineLabel } from '../run.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import { awaitJobs } from '../wait.ts';
import { collectLine, collectSets } from './collect.ts';
import { electRepresentatives, extractJobOf } from './dedup.ts';

type WindowStory = Awaited<ReturnType<typeof articlesQ.listWindowStories>>[number];
type Part = { summary: ExtractSummary; outcomes: ExtractOutcomes };

/** Every story of the edition with its extraction, and what extracting them took. */
export interface Extracted {
  stories: WindowStory[];
  results: Map<number, Extraction>;
  summary: ExtractSummary;
}

/**
 * Waits for the stories' extraction; what was not done by the deadline is left out (collection) or done
 * by the local extractor (extraction), and so is a story whose extract job failed.
 */
export async function extractPhase(deps: EditionDeps, run: EditionRun): Promise<Extracted> {
  if (!run.cutOff) {
    const ids = [...run.extractIds];
    const remake = (id: string) => extractJobOf(run, articleOfJob(id));
    const states = await awaitJobs(deps, run, [{ queue: 'extract', ids, remake }], {
      progress: { stage: 'extract', unit: 'stories' },
    });
    if (!states) run.cutOff = 'extract';
  }
  if (run.cutOff) await electRepresentatives(deps, run); // dedup jobs may still have been running
  const stories = await articlesQ.listWindowStories(deps.db, run.window.from, run.window.to);
  const storyJobs = stories.map((s) => jobIds.extract(run.runId, s.articleId));
  if (run.cutOff) await cutAtDeadline(deps, run, storyJobs);
  for (const id of storyJobs) run.extractIds.add(id);
  const parts = (await deps.queue.states('extract', [...run.extractIds])).flatMap((s) => {
    const r = s.result as ExtractJobResult | undefined;
    return s.status === 'completed' && r?.summary && r.outcomes ? [{ summary: r.summary, outcomes: r.outcomes }] : [];
  });
  const stored = await extractionsQ.latestExtractions(
    deps.db,
    stories.map((s) => s.articleId),
  );
  const results = new Map<number, Extraction>([...stored].map(([id, row]) => [id, row.result]));
  const missing = stories.filter((s) => !results.has(s.articleId));
  if (missing.length > 0) parts.push(await extractLocally(deps, run, missing, results));
  const { summary, degraded } = mergeExtract(parts);
  // Why stories left the first provider (it failed, the budget ran out): on the run's events, where the
  // console shows them, not only in the summary. The deadline's lines already have their events.
  for (const line of degraded) await run.stages.event('extract', 'degraded', line);
  summary.degraded.push(...run.degraded.filter((d) => d.includes('extractor')));
  const counts = { stories: stories.length, extracted: summary.articles };
  const line = missing.length
    ? eventText('extract.doneLocal', { ...counts, local: missing.length })
    : eventText('extract.done', counts);
  await run.stages.end('extract', line, { stories: stories.length });
  return { stories, results, summary };
}

/** The deadline came: the collect jobs not done and the extract jobs not started are cancelled, and said so. */
async function cutAtDeadline(deps: EditionDeps, run: EditionRun, storyJobs: string[]): Promise<void> {
  const label = deadlineLabel(deps.config, run);
  const sets = collectSets(run);
  run.collected = (await Promise.all(sets.map((s) => deps.queue.states(s.queue, s.ids)))).flat();
  const late = new Set(run.collected.filter((s) => !isFinished(s)).map((s) => s.id));
  for (const set of sets)
    await deps.queue.cancel(
      set.queue,
      set.ids.filter((id) => late.has(id)),
    );
  await deps.queue.cancel('extract', storyJobs);
  if (late.size > 0)
    run.degraded.push(
      `deadline ${label}: ${late.size} of ${run.sources.length} sources not collected in time, left out of this edition`,
    );
  const phase = run.cutOff!;
  await run.stages.event('collect', 'degraded', eventText('deadline.reached', { deadline: label, phase }), {
    phase,
    late_sources: late.size,
  });
  const cut = { cut_off_by_deadline: true };
  if (phase === 'collect') await run.stages.end('collect', await collectLine(deps.db, run.runId, run.collected), cut);
  if (phase === 'collect' || phase === 'dedup') await run.stages.end('dedup', eventText('dedup.cutOff'), cut);
}

/** The stories no extract job did, through the local extractor (no network, no cost). */
async function extractLocally(
  deps: EditionDeps,
  run: EditionRun,
  missing: WindowStory[],
  results: Map<number, Extraction>,
): Promise<Part> {
  const { db, log, config, now } = deps;
  const local = await runExtract(
    { db, log, llm: config.llm, timeZone: config.timeZone, now, editionId: run.editionId, tiers: [] },
    missing,
  );
  for (const [id, r] of local.results) results.set(id, r);
  const why = run.cutOff
    ? eventText('extract.why.deadline', { deadline: deadlineLabel(config, run) })
    : eventText('extract.why.failed');
  const line = eventText('extract.local', { why, count: missing.length });
  run.degraded.push(line.text);
  await run.stages.event('extract', 'degraded', line, { stories: missing.length });
  return { summary: local.summary, outcomes: local.outcomes };
}

/** Sums the extract jobs' summaries; the degradation lines are worked out again over all of them. */
function mergeExtract(parts: Part[]): { summary: ExtractSummary; degraded: CodedText[] } {
  const out: ExtractSummary = {
    articles: 0,
    by_provider: {},
    cached: 0,
    prompt_tokens: 0,
    cached_tokens: 0,
    completion_tokens: 0,
    cost: 0,
    currency: 'CNY',
    degraded: [],
  };
  for (const { summary: s } of parts) {
    out.articles += s.articles;
    out.cached += s.cached;
    out.prompt_tokens += s.prompt_tokens;
    out.cached_tokens += s.cached_tokens;
    out.completion_tokens += s.completion_tokens;
    out.cost = Math.round((out.cost + s.cost) * 1e6) / 1e6;
    for (const [p, n] of Object.entries(s.by_provider)) out.by_provider[p] = (out.by_provider[p] ?? 0) + n;
  }
  const outcomes = parts.flatMap((p) => p.outcomes.outcomes);
  const budgetAtStart = parts.find((p) => p.outcomes.budgetAtStart)?.outcomes.budgetAtStart ?? null;
  const budgetNow = [...parts].reverse().find((p) => p.outcomes.budgetNow)?.outcomes.budgetNow ?? null;
  const degraded = degradedTexts(outcomes, budgetAtStart, budgetNow);
  out.degraded = degraded.map((d) => d.text);
  return { summary: out, degraded };
}
