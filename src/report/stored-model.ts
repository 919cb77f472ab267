import type { ReportModel } from '../domain.ts';

/** The model's fields that hold dates (everything else is JSON as it is). */
const DATE_KEYS = new Set(['generatedAt', 'publishedAt', 'from', 'to']);

/** The report model as stored with its edition (JSON; the charts are drawn again from it). */
export function storeReportModel(model: ReportModel): Record<string, unknown> {
  const { charts: _charts, ...rest } = model;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/**
 * The model back from its stored JSON. Dates are revived by field name only, so a third-party title that
 * happens to look like a timestamp stays a string.
 */
export function loadReportModel(stored: Record<string, unknown>): ReportModel {
  return JSON.parse(JSON.stringify(stored), (key, value: unknown) =>
    DATE_KEYS.has(key) && typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : value,
  ) as ReportModel;
}
