import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DB } from './helpers/db.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
// Inside node_modules, so that the compiled files resolve the project's packages as dist/ does.
const OUT = path.join(ROOT, 'node_modules/.cache', `finrep-build-test-${process.pid}`);

function node(args: string[], env: Record<string, string>, cwd: string) {
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every compiled module below `dir`, as absolute paths. */
function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => path.join(e.parentPath, e.name));
}

// The production entry (`npm run build` → `node dist/main.js`): what the Docker image and the benchmark's
// workers run. Built once, on the PGlite pass (the code does not depend on the database).
describe.skipIf(TEST_DB === 'postgres')('npm run build: the compiled finrep', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-build-'));
    const r = node([path.join(ROOT, 'scripts/build.mjs'), '--out', OUT], {}, ROOT);
    if (r.code !== 0) throw new Error(`build failed: ${r.stderr || r.stdout}`);
  }, 180_000);
  afterAll(() => {
    rmSync(OUT, { recursive: true, force: true });
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('has no test files and carries the SQL migrations and the child-process helpers', () => {
    const files = modules(OUT).map((f) => path.relative(OUT, f));
    expect(files).toContain('main.js');
    expect(files.filter((f) => f.includes('.test.') || f.includes('testdata'))).toEqual([]);
    expect(existsSync(path.join(OUT, 'db/migrations/meta/_journal.json'))).toBe(true);
    expect(existsSync(path.join(OUT, 'report/raster-child.mjs'))).toBe(true);
    expect(readdirSync(path.join(OUT, 'db/migrations')).filter((f) => f.endsWith('.sql'))).toEqual(
      readdirSync(path.join(ROOT, 'src/db/migrations')).filter((f) => f.endsWith('.sql')),
    );
  });

  it('every compiled module loads with plain Node (relative imports rewritten to .js, lazy imports included)', () => {
    const script = `
      const failed = [];
      for (const f of ${JSON.stringify(
        // Not the entry (it runs a command), nor the browser scripts the web server serves as files.
        modules(OUT).filter(
          (f) => !f.endsWith(`${path.sep}main.js`) && !f.includes(`${path.sep}web${path.sep}static${path.sep}`),
        ),
      )}) {
        try { await import(f); } catch (e) { failed.push(f + ': ' + e.message); }
      }
      process.stdout.write(JSON.stringify(failed));
      process.exit(0);`;
    const r = node(['--input-type=module', '-e', script], {}, ROOT);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('runs a whole demo edition with plain Node', { timeout: 240_000 }, () => {
    const dataDir = path.join(cwd, 'data');
    const migrate = node([path.join(OUT, 'main.js'), 'migrate'], { FINREP_DATA_DIR: dataDir }, cwd);
    expect(migrate.stdout + migrate.stderr).toContain('migrations applied');
    expect(migrate.code).toBe(0);
    const r = node(
      [path.join(OUT, 'main.js'), 'run', '--demo', '--json', '--date', '2025-11-10'],
      { FINREP_DATA_DIR: dataDir },
      cwd,
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('ok');
    expect(summary.report.items).toBeGreaterThan(10);
    expect(summary.deliver).toEqual(expect.objectContaining({ recipients: 3, sent: 3, failed: 0 }));
    expect(existsSync(summary.report.xlsx)).toBe(true);
  });
});
