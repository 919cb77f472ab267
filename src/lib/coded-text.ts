/**
 * A sentence for people that a page can say in its own language: a stable `code`, the values it names
 * (`params`) and the English (`text`) that the CLI, the logs and the API print. The English templates live
 * in one table per area, beside the code that says them (`channels/input-texts.ts`, `pipeline/event-texts.ts`
 * …); the console's catalogue (`web/i18n/areas/texts.ts`) has every code's Chinese — the compiler checks that
 * none is missing — and shows the stored English for a code it does not know (a row written before codes).
 */

/** A value a sentence names: a number, a word, or another sentence (`{error}` in `… failed{error}`). */
export type TextParam = string | number | CodedText;

export interface CodedText {
  code: string;
  params: Record<string, TextParam>;
  /** The English, as the CLI prints it. */
  text: string;
}

/** `{name}` in `template` replaced by `vars.name` (a name with no value stays as it is). */
export function fillTemplate(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(vars, name) ? String(vars[name]) : m));
}

/** Whether `v` is a coded sentence (as stored in jsonb: `{ code, params, text }`). */
export function isCodedText(v: unknown): v is CodedText {
  const c = v as CodedText | null;
  return (
    typeof c === 'object' && c !== null && typeof c.code === 'string' && typeof c.params === 'object' && !!c.params
  );
}

/**
 * The sentence maker of one table of English templates: `say(code, params)` fills the template into `text`.
 * @example
 * const say = textsOf({ 'dedup.done': '{unique} new stories' });
 * say('dedup.done', { unique: 3 }); // { code: 'dedup.done', params: { unique: 3 }, text: '3 new stories' }
 */
export function textsOf<T extends Record<string, string>>(templates: T) {
  return (code: keyof T & string, params: Record<string, TextParam> = {}): CodedText => {
    const vars: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(params)) vars[k] = typeof v === 'object' ? v.text : v;
    return { code, params, text: fillTemplate(templates[code]!, vars) };
  };
}

/** The code and params of a sentence, as a run event's `data` or a stage's counts keep them. */
export const codeOf = (t: CodedText): { code: string; params: Record<string, TextParam> } => ({
  code: t.code,
  params: t.params,
});
