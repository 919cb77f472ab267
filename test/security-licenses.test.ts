/**
 * The licences of the production dependency tree (docs/licenses-runtime.md): the file is what
 * `npm run security:licenses` writes for the installed tree, and every licence that is not plainly
 * permissive carries an argument (docs/security.md, "Licences").
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isPermissive,
  LICENSES_FILE,
  licensesMarkdown,
  runtimePackages,
  unargued,
} from '../scripts/security-licenses.ts';

describe('licences of the runtime dependencies', () => {
  const pkgs = runtimePackages();

  it('reads the whole production tree, with the licence of each package', () => {
    const names = new Set(pkgs.map((p) => p.name));
    for (const direct of ['fastify', 'exceljs', 'nodemailer', 'undici', 'pg', '@electric-sql/pglite'])
      expect(names, direct).toContain(direct);
    // Development tools are not shipped, so not listed.
    for (const dev of ['vitest', 'eslint', 'drizzle-kit', 'smtp-server']) expect(names, dev).not.toContain(dev);
    expect(pkgs.length).toBeGreaterThan(200);
    expect(pkgs.find((p) => p.name === 'fastify')!.license).toBe('MIT');
  });

  it('argues every licence that is not plainly permissive, and there is no GPL or AGPL alone', () => {
    expect(unargued(pkgs).map((p) => `${p.name}@${p.version} ${p.license} (${p.via})`)).toEqual([]);
    for (const p of pkgs) expect(p.license, p.name).not.toMatch(/^\(?(?:A?GPL|LGPL)-[\d.]+(?:-only|-or-later)?\)?$/);
  });

  it.each([
    { name: 'MIT', license: 'MIT', want: true },
    { name: 'a choice with a permissive side', license: '(MIT OR GPL-3.0-or-later)', want: true },
    { name: 'both permissive', license: '(MIT AND Zlib)', want: true },
    { name: 'GPL alone', license: 'GPL-3.0-only', want: false },
    { name: 'AGPL', license: 'AGPL-3.0-or-later', want: false },
    { name: 'permissive and copyleft together', license: '(MIT AND GPL-2.0-only)', want: false },
    { name: 'no licence', license: '(none declared)', want: false },
    { name: 'file-level copyleft', license: 'MPL-2.0', want: false },
  ])('judges $name', ({ license, want }) => {
    expect(isPermissive(license)).toBe(want);
  });

  it('docs/licenses-runtime.md is current (npm run security:licenses regenerates it)', () => {
    expect(readFileSync(LICENSES_FILE, 'utf8')).toBe(licensesMarkdown(pkgs));
  });
});
