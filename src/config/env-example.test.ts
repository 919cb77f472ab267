import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envExample } from '../../scripts/env-example.ts';
import { envSchema } from './schema.ts';

const file = path.resolve(import.meta.dirname, '../../.env.example');

describe('.env.example', () => {
  it('lists every variable of the configuration schema, and nothing else', () => {
    const listed = [...readFileSync(file, 'utf8').matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(envSchema.shape));
  });

  it('is what `npm run env:example` writes from the schema and the README (run it after changing either)', () => {
    expect(readFileSync(file, 'utf8')).toBe(envExample());
  });

  it('documents every variable in the README table', () => {
    const undocumented = envExample()
      .split('\n')
      .filter((l) => l.endsWith(': see src/config/schema.ts'));
    expect(undocumented).toEqual([]);
  });
});
