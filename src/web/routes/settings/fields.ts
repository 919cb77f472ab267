/**
 * The settings page's whitelist: the environment overrides (`config/overrides.ts`) and the ranking settings
 * the score stage reads (`pipeline/settings.ts`), each read into a form, parsed back from one with the schema
 * its reader uses, and described for the audit log. Secrets are not here and cannot be.
 */
import type { Config } from '../../../config/index.ts';
import {
  applyOverrides,
  envValue,
  loadOverrides,
  OVERRIDABLE,
  overrideKey,
  parseOverride,
} from '../../../config/overrides.ts';
import type { OverrideName, StoredOverride } from '../../../config/overrides.ts';
import type { Db } from '../../../db/client.ts';
import { settingsQ } from '../../../db/queries/index.ts';
import { mergePrices } from '../../../extract/prices.ts';
import { loadScoreWeights, loadWatchList, scoreWeightsSchema, watchListSchema } from '../../../pipeline/settings.ts';
import { DEFAULT_WEIGHTS, FACTORS } from '../../../score/index.ts';

export const SETTING_IDS = [...OVERRIDABLE, 'watchlist', 'score_weights'] as const;
export type SettingId = (typeof SETTING_IDS)[number];
export const isSettingId = (v: unknown): v is SettingId => (SETTING_IDS as readonly unknown[]).includes(v);

const WATCH_PARTS = ['tickers', 'companies', 'keywords'] as const;
const isEnv = (id: SettingId): id is OverrideName => (OVERRIDABLE as readonly string[]).includes(id);

/** A form's fields: name → text. */
export type FormValues = Record<string, string>;

/** One setting as the page shows it. */
export interface SettingState {
  id: SettingId;
  /** What the form holds: the override, else the environment's (or built-in) value. */
  form: FormValues;
  /** The environment's (or built-in) value, as text. */
  base: FormValues;
  /** What applies, when the form's text is not it (prices: the table's rows for the configured models). */
  effective?: string;
  /** A stored override applies. */
  overridden: boolean;
  /** A stored override is ignored, and why. */
  problem: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The `settings` row a setting is stored in. */
export const keyOf = (id: SettingId): string => (isEnv(id) ? overrideKey(id) : id);

const envForm = (id: OverrideName, stored: unknown): FormValues => ({
  value: id === 'LLM_PRICES' ? JSON.stringify(stored) : String((stored as { value: string }).value),
});
const watchForm = (w: Record<(typeof WATCH_PARTS)[number], string[]>): FormValues =>
  Object.fromEntries(WATCH_PARTS.map((p) => [p, w[p].join('\n')]));
const weightsForm = (w: Record<string, number>): FormValues =>
  Object.fromEntries(FACTORS.map((f) => [f, String(w[f])]));

/** Every setting of the page, with its effective value and where it comes from; and the effective config. */
export async function loadSettings(db: Db, config: Config): Promise<{ states: SettingState[]; effective: Config }> {
  const overrides = await loadOverrides(db, config);
  const rows = await settingsQ.getSettings(db, ['watchlist', 'score_weights']);
  const problems: string[] = [];
  const watch = await loadWatchList(db, problems);
  const weights = await loadScoreWeights(db, problems);
  const envState = (id: OverrideName, o: StoredOverride | undefined): SettingState => ({
    id,
    form: o && !o.problem ? envForm(id, o.stored) : { value: envValue(config, id) },
    base: { value: envValue(config, id) },
    overridden: !!o && !o.problem,
    problem: o?.problem ?? null,
    updatedAt: o?.updatedAt ?? null,
    updatedBy: o?.updatedBy ?? null,
  });
  const rankState = (id: 'watchlist' | 'score_weights', form: FormValues, base: FormValues): SettingState => {
    const row = rows.find((r) => r.key === id);
    const mine = problems.filter((p) => p.startsWith(id));
    return {
      id,
      form,
      base,
      overridden: !!row,
      problem: mine.length > 0 ? mine.join('; ') : null,
      updatedAt: row?.updatedAt ?? null,
      updatedBy: row?.updatedBy ?? null,
    };
  };
  const states = [
    ...OVERRIDABLE.map((id) =>
      envState(
        id,
        overrides.find((o) => o.name === id),
      ),
    ),
    rankState('watchlist', watchForm(watch), watchForm({ tickers: [], companies: [], keywords: [] })),
    rankState('score_weights', weightsForm(weights), weightsForm(DEFAULT_WEIGHTS)),
  ];
  const effective = applyOverrides(config, overrides);
  const prices = mergePrices(effective.llm.prices);
  const priced = [...new Set([...config.llm.providers.map((p) => p.model), ...Object.keys(effective.llm.prices)])];
  states.find((s) => s.id === 'LLM_PRICES')!.effective = priced
    .map((m) =>
      prices[m] ? `${m}: ${prices[m].input_hit} / ${prices[m].input_miss} / ${prices[m].output}` : `${m}: —`,
    )
    .join('\n');
  return { states, effective };
}

export type ParsedSetting = { ok: true; stored: unknown } | { ok: false; error: string; form: FormValues };

/** A submitted form parsed with the schema the setting's reader uses; an error names what is wrong. */
export function parseSetting(config: Config, id: SettingId, body: Record<string, unknown>): ParsedSetting {
  const text = (k: string) => (typeof body[k] === 'string' ? body[k] : '').slice(0, 20_000);
  if (isEnv(id)) {
    const r = parseOverride(config, id, text('value'));
    return r.ok ? { ok: true, stored: r.stored } : { ok: false, error: r.error, form: { value: text('value') } };
  }
  if (id === 'watchlist') {
    const form = Object.fromEntries(WATCH_PARTS.map((p) => [p, text(p)]));
    const list = (v: string) => [...new Set(v.split(/[\n,，、;；]+/).map((s) => s.trim()))].filter(Boolean);
    const r = watchListSchema.safeParse(Object.fromEntries(WATCH_PARTS.map((p) => [p, list(form[p]!)])));
    return r.success ? { ok: true, stored: r.data } : { ok: false, error: issue(r.error), form };
  }
  const form = Object.fromEntries(FACTORS.map((f) => [f, text(f).trim()]));
  const bad = FACTORS.find((f) => !/^\d+(\.\d+)?$/.test(form[f]!));
  if (bad) return { ok: false, error: `${bad}: expected a number`, form };
  const r = scoreWeightsSchema.safeParse(Object.fromEntries(FACTORS.map((f) => [f, Number(form[f])])));
  return r.success ? { ok: true, stored: r.data } : { ok: false, error: issue(r.error), form };
}

function issue(err: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const i = err.issues[0];
  return i ? `${i.path.map(String).join('.')}: ${i.message}` : 'invalid value';
}
