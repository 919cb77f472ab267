/**
 * The score stage: explainable factors (`factors.ts`) and ranking with diversity (`rank.ts`). Pure
 * functions of the stories and the settings; the pipeline stores the result as report items.
 */
export {
  COVERAGE_FULL,
  DEFAULT_WEIGHTS,
  FACTORS,
  FACTOR_LABELS,
  SOURCE_WEIGHT_FULL,
  WATCH_HITS_FULL,
  factorValues,
  scoreStory,
  watchMatches,
} from './factors.ts';
export type { Factor, ScoreContext, ScoreInput, ScoreWeights, ScoredStory, WatchList } from './factors.ts';
export { companyKeys, compareScored, rankStories, titleKey } from './rank.ts';
export type { RankCaps, RankOptions, Ranking } from './rank.ts';
