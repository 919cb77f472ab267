import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * A frozen, compiled copy of the sources in `dir` (under node_modules/.cache): what a benchmark measures does
 * not change while others edit the tree, and it runs the build as production does. The build emits despite
 * type errors in work in progress (as tsx would run it); its stamp (`dist/build.json`) says it finished.
 * Returns the path of the copy's `dist/main.js`.
 */
export function buildSnapshot(root: string, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['src', 'bin', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'])
    cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts/build.mjs')], { cwd: dir, encoding: 'utf8' });
  if (!existsSync(path.join(dir, 'dist/build.json')))
    throw new Error(`build failed: ${`${r.stdout}${r.stderr}`.slice(-2000)}`);
  return path.join(dir, 'dist/main.js');
}
