/**
 * The core's coded sentences (`lib/coded-text.ts`: a refused field, a run's event or stage line) in the page's
 * language, through the `text.<code>` messages of `areas/texts.ts`; a sentence without a code, or with one
 * this version does not know (a row written before codes, or by a newer worker), is shown as it was stored.
 */
import { isCodedText } from '../../lib/coded-text.ts';
import { isMessageKey, stateWord } from './index.ts';
import type { MessageKey } from './index.ts';

type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** Params that hold a word of state, said in the page's words (an unknown word stays as it is). */
const WORDS: Record<string, (t: Translate, v: string) => string> = {
  stage: (t, v) => stateWord(t, 'stage', v),
  phase: (t, v) => stateWord(t, 'stage', v),
  status: (t, v) => stateWord(t, 'run', v),
  queue: (t, v) => stateWord(t, 'queue', v),
  kind: (t, v) => {
    const key = `channels.kind.${v}`;
    return isMessageKey(key) ? t(key) : v;
  },
};

/**
 * `coded` (`{ code, params }`, as an error carries it or a run event's `data` keeps it) in the page's
 * language, or `fallback` (the stored English) when it has no code this catalogue knows.
 * @example sayText(ctx.t, { code: 'dedup.done', params: { unique: 3, near: 1 } }, '3 new stories, 1 near-duplicates') // '新故事 3 条，近似重复 1 条'
 */
export function sayText(t: Translate, coded: unknown, fallback: string): string {
  if (!isCodedText(coded)) return fallback;
  const key = `text.${coded.code}`;
  if (!isMessageKey(key)) return fallback;
  const vars: Record<string, string | number> = {};
  for (const [name, v] of Object.entries(coded.params)) {
    if (typeof v === 'number') vars[name] = v;
    else if (typeof v === 'string') vars[name] = Object.hasOwn(WORDS, name) ? WORDS[name]!(t, v) : v;
    else if (isCodedText(v)) vars[name] = sayText(t, v, typeof v.text === 'string' ? v.text : '');
    else vars[name] = String(v);
  }
  return t(key, vars);
}
