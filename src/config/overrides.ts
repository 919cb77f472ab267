/**
 * Runtime overrides of a whitelisted set of environment variables, kept in the `settings` table (the admin's
 * 系统设置) and applied without a restart: the edition's orchestrator, each extract and deliver job and the
 * scheduler read `effectiveConfig(db, config)` when they start, instead of the configuration frozen at start-up.
 *
 * Each value is validated by the same zod field schema the environment is (`envSchema.shape[NAME]`), when it
 * is saved and again when it is read: a stored value that no longer parses is ignored (the environment's
 * value applies) and reported in `problems`, so a bad row never stops an edition. Secrets are never here.
 *
 * Left out on purpose: what a process reads once to build long-lived parts (crawl concurrency, LLM timeouts
 * and per-provider limits, SMTP, TZ, the web server) — those need a restart, and the page says so.
 */
import { settingsQ } from '../db/queries/index.ts';
import type { Db } from '../db/client.ts';
import { priceTableSchema, PRICES_SETTING } from '../extract/prices.ts';
import type { Config } from './index.ts';
import { envSchema } from './schema.ts';
import type { Env } from './schema.ts';

/** The variables an admin may override at run time, in the order the settings page shows them. */
export const OVERRIDABLE = [
  'REPORT_TOPN',
  'SCHEDULE_CRON',
  'LLM_PROVIDERS',
  'LLM_DAILY_BUDGET',
  'LLM_MONTHLY_BUDGET',
  'LLM_PRICES',
  'MAIL_RATE_LIMIT_PER_SEC',
  'OPS_ALERT_CHANNELS',
] as const;

export type OverrideName = (typeof OVERRIDABLE)[number];

/** How each override reads the configuration and applies to it (`v` is the schema's parsed value). */
const FIELDS: { [K in OverrideName]: { read(c: Config): string; apply(c: Config, v: Env[K]): Config } } = {
  REPORT_TOPN: {
    read: (c) => String(c.report.topN),
    apply: (c, v) => ({ ...c, report: { ...c.report, topN: v } }),
  },
  SCHEDULE_CRON: {
    read: (c) => c.report.cron,
    apply: (c, v) => ({ ...c, report: { ...c.report, cron: v } }),
  },
  LLM_PROVIDERS: {
    read: (c) => c.llm.order.join(','),
    apply: (c, v) => {
      const order = v.split(',').filter((n) => c.llm.providers.some((p) => p.name === n));
      const providers = order.map((n) => c.llm.providers.find((p) => p.name === n)!);
      return { ...c, llm: { ...c.llm, order, providers } };
    },
  },
  LLM_DAILY_BUDGET: {
    read: (c) => (c.llm.dailyBudget === null ? '' : String(c.llm.dailyBudget)),
    apply: (c, v) => ({ ...c, llm: { ...c.llm, dailyBudget: v ?? null } }),
  },
  LLM_MONTHLY_BUDGET: {
    read: (c) => (c.llm.monthlyBudget === null ? '' : String(c.llm.monthlyBudget)),
    apply: (c, v) => ({ ...c, llm: { ...c.llm, monthlyBudget: v ?? null } }),
  },
  LLM_PRICES: {
    read: (c) => (Object.keys(c.llm.prices).length === 0 ? '' : JSON.stringify(c.llm.prices)),
    apply: (c, v) => ({ ...c, llm: { ...c.llm, prices: { ...c.llm.prices, ...v } } }),
  },
  MAIL_RATE_LIMIT_PER_SEC: {
    read: (c) => String(c.mail.ratePerSec),
    apply: (c, v) => ({ ...c, mail: { ...c.mail, ratePerSec: v } }),
  },
  OPS_ALERT_CHANNELS: {
    read: (c) => c.opsAlerts.channels.join(','),
    apply: (c, v) => ({
      ...c,
      opsAlerts: {
        ...c.opsAlerts,
        channels: v
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== ''),
      },
    }),
  },
};

/**
 * The `settings` key of an override. Prices keep the key the extract stage has always read (`llm.prices`,
 * stored as a price table); the others are stored as the text the variable would hold, `{ "value": "8" }`,
 * under `env.NAME`.
 */
export const overrideKey = (name: OverrideName): string => (name === 'LLM_PRICES' ? PRICES_SETTING : `env.${name}`);

/** The value the environment (or the default) gives a variable, as it would be written in `.env`. */
export const envValue = (config: Config, name: OverrideName): string => FIELDS[name].read(config);

export type ParsedOverride = { ok: true; stored: unknown; value: unknown } | { ok: false; error: string };

/**
 * Validates a value typed in the admin with the variable's own schema (and, for the provider order, against
 * the providers the environment configures: their URLs and keys live there).
 * @example parseOverride(config, 'REPORT_TOPN', '8') // { ok: true, stored: { value: '8' }, value: 8 }
 */
export function parseOverride(config: Config, name: OverrideName, raw: string): ParsedOverride {
  const text = raw.trim();
  const r = envSchema.shape[name].safeParse(text);
  if (!r.success) return { ok: false, error: r.error.issues[0]?.message ?? 'invalid value' };
  if (name === 'LLM_PROVIDERS') {
    const unknown = text.split(',').filter((n) => !config.llm.order.includes(n));
    if (unknown.length > 0)
      return {
        ok: false,
        error: `not configured: ${unknown.join(', ')} (a provider's URL and key come from the environment; configured: ${config.llm.order.join(', ')})`,
      };
  }
  if (name === 'LLM_PRICES') return { ok: true, stored: r.data ?? {}, value: r.data ?? {} };
  return { ok: true, stored: { value: text }, value: r.data };
}

/** A stored override read back: its schema's value, or the problem that makes it ignored. */
function readStored(config: Config, name: OverrideName, stored: unknown): ParsedOverride {
  if (name === 'LLM_PRICES') {
    const r = priceTableSchema.safeParse(stored);
    return r.success ? { ok: true, stored, value: r.data } : { ok: false, error: 'not a price table' };
  }
  const text = (stored as { value?: unknown } | null)?.value;
  if (typeof text !== 'string') return { ok: false, error: 'expected {"value": "…"}' };
  return parseOverride(config, name, text);
}

/** One override as stored, whether it applies, and who set it. */
export interface StoredOverride {
  name: OverrideName;
  key: string;
  stored: unknown;
  /** Null when it applies; else why it is ignored. */
  problem: string | null;
  updatedAt: Date;
  updatedBy: string | null;
}

/** The stored overrides (one query), each checked again with its schema. */
export async function loadOverrides(db: Db, config: Config): Promise<StoredOverride[]> {
  const rows = await settingsQ.getSettings(db, OVERRIDABLE.map(overrideKey));
  return OVERRIDABLE.flatMap((name) => {
    const row = rows.find((r) => r.key === overrideKey(name));
    if (!row) return [];
    const r = readStored(config, name, row.value);
    const problem = r.ok ? null : r.error;
    return [{ name, key: row.key, stored: row.value, problem, updatedAt: row.updatedAt, updatedBy: row.updatedBy }];
  });
}

/** The configuration with the overrides that parse applied, frozen like the one loaded at start. */
export function applyOverrides(config: Config, overrides: StoredOverride[]): Config {
  let out = config;
  for (const o of overrides) {
    const r = readStored(config, o.name, o.stored);
    if (!r.ok) continue;
    out = (FIELDS[o.name].apply as (c: Config, v: unknown) => Config)(out, r.value);
  }
  return Object.freeze(out);
}

/**
 * The configuration as it applies now: the environment's, with the admin's runtime overrides. What an
 * edition, a job or the scheduler reads when it starts.
 * @example const config = await effectiveConfig(deps.db, deps.config);
 */
export async function effectiveConfig(db: Db, config: Config): Promise<Config> {
  return applyOverrides(config, await loadOverrides(db, config));
}
