/** A stored source as the definition an operator writes: what `edit` starts from and every export writes. */
import type { SourceRow } from '../db/queries/sources.ts';
import type { KeyedDefinition } from './source-files.ts';

/** The definition of a stored source (its key null for one created without). */
export function definitionOfRow(s: SourceRow): KeyedDefinition {
  return {
    key: s.key,
    name: s.name,
    kind: s.kind,
    url: s.url,
    enabled: s.enabled,
    weight: s.weight,
    timezone: s.timezone,
    headers: s.headers ?? {},
    allowPrivate: s.allowPrivate,
    rules: s.rules ?? null,
  };
}
