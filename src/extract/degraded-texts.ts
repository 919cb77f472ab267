/**
 * Why stories left the extraction chain's first choice (`degradedReasons`), in English, by code; the run's
 * events keep the code, and the console says the line in the page's language (`web/i18n/areas/texts.ts`).
 */
import { textsOf } from '../lib/coded-text.ts';

export const DEGRADED_TEXTS = {
  'extract.budget': 'budget: {reason}; {count} stories extracted by the local extractor',
  'extract.fallback': 'fallback: {count} stories extracted by the local extractor after every LLM provider failed',
  'extract.nextProvider': '{provider}: {count} stories went to the next provider ({reasons})',
} as const;

export type DegradedCode = keyof typeof DEGRADED_TEXTS;

/** A degradation's sentence: `degradedText('extract.fallback', { count: 2 })`. */
export const degradedText = textsOf(DEGRADED_TEXTS);
