/**
 * Writes `docs/licenses-runtime.md`: every package of the production dependency tree
 * (`npm ls --omit=dev --all --json --long`, so the `license` field of each installed package.json) with its
 * licence, the count per licence, and the packages whose licence is not plainly permissive with the argument
 * for each (`ARGUED` below). `npm run security:licenses` regenerates it; test/security-licenses.test.ts fails
 * when the file and the tree drift apart, or when a package arrives with a licence nobody argued.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
export const LICENSES_FILE = path.join(root, 'docs', 'licenses-runtime.md');

/** Licences that ask nothing of finrep beyond keeping the notice. */
const PERMISSIVE = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'Apache-2.0',
  '0BSD',
  'BlueOak-1.0.0',
  'Unlicense',
  'CC0-1.0',
  'Zlib',
  'Python-2.0',
  'CC-BY-4.0',
]);

/**
 * Packages whose licence is not in PERMISSIVE (or not declared), each with why finrep may ship it. Keyed by
 * name: a new version keeps its argument only while its licence string stays the same.
 */
export const ARGUED: Record<string, { license: string; why: string }> = {
  '@resvg/resvg-js': {
    license: 'MPL-2.0',
    why: 'file-level copyleft: applies to changes of its own files, which finrep ships unmodified from npm (renders the report charts to PNG).',
  },
  '@resvg/resvg-js-linux-x64-gnu': {
    license: 'MPL-2.0',
    why: 'the native binary of @resvg/resvg-js, same terms: unmodified.',
  },
  '@embedpdf/fonts-sc': {
    license: 'OFL-1.1',
    why: 'SIL Open Font License: the CJK font may be bundled and redistributed with software; only selling the font alone and reusing its reserved name are restricted.',
  },
  chainsaw: {
    license: 'MIT/X11',
    why: 'the MIT (X11) licence, spelled the old way (through exceljs → unzipper → binary).',
  },
  buffers: {
    license: '(none declared)',
    why: 'unknown: neither its package.json nor its README states a licence (2011, by the author of chainsaw and binary, both MIT/X11). exceljs loads it through its streaming workbook reader (unzipper › binary), which only reads xlsx files; finrep only writes them. Kept as an accepted, open item (docs/security.md): an exceljs fork without unzipper would drop it.',
  },
};

/** One package of the production tree. */
export interface RuntimePackage {
  name: string;
  version: string;
  license: string;
  /** The chain from finrep's own dependency down to it (`exceljs › unzipper › binary`). */
  via: string;
}

interface LsNode {
  version?: string;
  license?: string | { type?: string };
  path?: string;
  dependencies?: Record<string, LsNode>;
}

const licenseOf = (n: LsNode): string | null => (typeof n.license === 'string' ? n.license : (n.license?.type ?? null));

/** The production tree's packages, one per name@version, from `npm ls` (its first path as `via`). */
export function runtimePackages(): RuntimePackage[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const tree = JSON.parse(out) as LsNode;
  const seen = new Map<string, RuntimePackage>();
  const walk = (deps: Record<string, LsNode> | undefined, chain: string[]) => {
    for (const [name, node] of Object.entries(deps ?? {})) {
      if (!node.version || !node.path) continue; // a deduplicated reference: its first occurrence carries it
      const key = `${name}@${node.version}`;
      const license = licenseOf(node) ?? '(none declared)';
      if (!seen.has(key)) seen.set(key, { name, version: node.version, license, via: [...chain, name].join(' › ') });
      walk(node.dependencies, [...chain, name]);
    }
  };
  walk(tree.dependencies, []);
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** Whether a licence (an SPDX expression at most `A OR B` / `A AND B`) needs no argument. */
export function isPermissive(license: string): boolean {
  const expr = license.replace(/^\((.*)\)$/, '$1');
  if (/ OR /.test(expr)) return expr.split(/ OR /).some((l) => isPermissive(l.trim()));
  if (/ AND /.test(expr)) return expr.split(/ AND /).every((l) => isPermissive(l.trim()));
  return PERMISSIVE.has(expr.trim());
}

/** A package that needs an argument and has none (or one made for another licence). */
export function unargued(pkgs: RuntimePackage[]): RuntimePackage[] {
  return pkgs.filter((p) => !isPermissive(p.license) && ARGUED[p.name]?.license !== p.license);
}

/** The text of docs/licenses-runtime.md for these packages. */
export function licensesMarkdown(pkgs: RuntimePackage[]): string {
  const counts = new Map<string, number>();
  for (const p of pkgs) counts.set(p.license, (counts.get(p.license) ?? 0) + 1);
  const flagged = pkgs.filter((p) => !isPermissive(p.license));
  const lines = [
    '# Licences of the runtime dependencies',
    '',
    'Generated by `npm run security:licenses` (scripts/security-licenses.ts) from `npm ls --omit=dev --all --json --long`:',
    "the `license` field of each installed package's package.json. test/security-licenses.test.ts fails when this file",
    'no longer matches the installed tree, or when a package brings a licence that is not argued below. The',
    'development tools (vitest, eslint, drizzle-kit, …) are not shipped in the image and are not listed.',
    '',
    `${pkgs.length} packages (one per name and version).`,
    '',
    '| licence | packages |',
    '|---|---|',
    ...[...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([l, n]) => `| ${l} | ${n} |`),
    '',
    '## Not plainly permissive, and why finrep may ship them',
    '',
    'No package is under the GPL, the AGPL or the LGPL alone (jszip is MIT or GPL-3.0: finrep takes MIT); one, buffers,',
    'states no licence at all.',
    '',
    '| package | licence | through | why it is fine |',
    '|---|---|---|---|',
    ...flagged.map(
      (p) =>
        `| ${p.name}@${p.version} | ${p.license} | ${p.via} | ${ARGUED[p.name]?.license === p.license ? ARGUED[p.name]!.why : '**NOT ARGUED**'} |`,
    ),
    '',
    '## Every package',
    '',
    '| package | version | licence |',
    '|---|---|---|',
    ...pkgs.map((p) => `| ${p.name} | ${p.version} | ${p.license} |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const pkgs = runtimePackages();
  writeFileSync(LICENSES_FILE, licensesMarkdown(pkgs));
  const open = unargued(pkgs);
  process.stdout.write(`${path.relative(root, LICENSES_FILE)}: ${pkgs.length} packages, ${open.length} not argued\n`);
  for (const p of open) process.stdout.write(`  NOT ARGUED ${p.name}@${p.version} ${p.license} (${p.via})\n`);
  process.exitCode = open.length > 0 ? 1 : 0;
}
