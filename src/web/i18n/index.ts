import { en } from './en.ts';
import { zhCN } from './zh-CN.ts';

/** The languages of the web admin: Chinese first, English available. */
export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export type MessageKey = keyof typeof zhCN;
export type Messages = Record<MessageKey, string>;

const TABLES: Record<Lang, Messages> = { 'zh-CN': zhCN, en };

/** The cookie that remembers the language chosen with the switch (`?lang=en`). */
export const LANG_COOKIE = 'finrep_lang';

/** A translator for `lang`: `t('login.locked', { seconds: 30 })` fills `{seconds}`. */
export function translator(lang: Lang): (key: MessageKey, vars?: Record<string, string | number>) => string {
  const table = TABLES[lang];
  return (key, vars) => {
    const text = table[key] ?? zhCN[key];
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

/**
 * The language of a request: the switch's cookie, else the first of Accept-Language that we have (any `en-*`
 * is English, any `zh-*` Chinese), else Chinese.
 */
export function pickLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(cookie)) return cookie;
  const prefs = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())).find(Boolean);
      return { tag: (tag ?? '').toLowerCase(), q: q ? Number(q[1]) : 1 };
    })
    .filter((p) => p.tag && p.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of prefs) {
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
  }
  return 'zh-CN';
}

/** Whether `key` is a message (for keys built from data, such as `state.stage.<name>`). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(zhCN, key);
}

/**
 * A word of state from the database (`group` `run`, `stage`, `trigger`, `fetch` or `queue`) in the page's language, or
 * the word itself when it has no translation (a stage or trigger added later still shows).
 * @example stateWord(t, 'stage', 'collect') // '采集' on a Chinese page
 */
export function stateWord(
  t: (key: MessageKey) => string,
  group: 'run' | 'stage' | 'trigger' | 'fetch' | 'queue',
  value: string,
): string {
  const key = `state.${group}.${value}`;
  return isMessageKey(key) ? t(key) : value;
}
