import { releaseDatabaseMemory } from '../../db/client.ts';
import { collectGarbage } from '../../lib/gc.ts';
import { rankStories } from '../../score/index.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import { loadRankingSettings } from '../settings.ts';
import type { Extracted } from './extract.ts';
import { eventText } from '../event-texts.ts';

/** The top stories and each section's, with their scores and factors. */
export type Ranking = ReturnType<typeof rankStories>;

/**
 * Ranks the extracted stories with the operator's weights, watch list and caps. Collecting and extracting
 * leave tens of MB of garbage that V8 would carry into composing (which adds its own) and through the
 * minutes of sending: a full collection first keeps a worker's peak near its live set
 * (docs/benchmarks-edition.md), and the embedded database gives back what collecting and dedup made it take.
 */
export async function scorePhase(deps: EditionDeps, run: EditionRun, extracted: Extracted): Promise<Ranking> {
  collectGarbage();
  await releaseDatabaseMemory(deps.db);
  const { stories, results } = extracted;
  return run.stages.run(
    'score',
    async () => {
      const settings = await loadRankingSettings(deps.db);
      if (settings.problems.length > 0)
        deps.log.warn({ edition: run.data.date, problems: settings.problems }, 'ranking settings ignored');
      const scored = stories
        .filter((s) => results.has(s.articleId))
        .map((s) => ({
          articleId: s.articleId,
          clusterId: s.clusterId,
          coverage: s.size,
          sourceWeight: s.sourceWeight,
          effectiveAt: s.effectiveAt,
          extraction: results.get(s.articleId)!,
          title: s.title,
        }));
      return rankStories(scored, {
        windowFrom: run.window.from,
        windowTo: run.window.to,
        topN: deps.config.report.topN,
        weights: settings.weights,
        watch: settings.watch,
        ...settings.caps,
      });
    },
    (r) =>
      eventText('score.done', {
        top: r.top.length,
        sections: [...r.sections.values()].reduce((n, s) => n + s.length, 0),
      }),
  );
}
