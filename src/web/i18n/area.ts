/**
 * The messages of one area of the console (its pages' keys, `area.thing`), Chinese and English side by side,
 * so an area's pages and their words change in one file. The English table must have every key of the Chinese
 * one (the type says so).
 * @example export const sources = area({ 'sources.title': '信息源' }, { 'sources.title': 'Sources' });
 */
export function area<Z extends Record<string, string>>(
  zh: Z,
  en: Record<keyof Z, string>,
): { zh: Z; en: Record<keyof Z, string> } {
  return { zh, en };
}
