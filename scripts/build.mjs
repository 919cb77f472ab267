// `npm run build [-- --out DIR]`: compiles src/ to dist/ (plain JavaScript: what the Docker image and
// production processes run, with no TypeScript compiler in memory) and copies the files the code reads at
// run time (the SQL migrations, the web server's static files, and the plain-JavaScript helpers started as child processes: src/**/*.mjs).
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const at = process.argv.indexOf('--out');
const out = at >= 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : path.join(root, 'dist');
rmSync(out, { recursive: true, force: true });
const sourcesAt = Date.now();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], {
  stdio: 'inherit',
});
cpSync(path.join(root, 'src/db/migrations'), path.join(out, 'db/migrations'), { recursive: true });
cpSync(path.join(root, 'src/web/static'), path.join(out, 'web/static'), { recursive: true });
for (const e of readdirSync(path.join(root, 'src'), { withFileTypes: true, recursive: true })) {
  if (!e.isFile() || !e.name.endsWith('.mjs')) continue;
  const from = path.join(e.parentPath, e.name);
  cpSync(from, path.join(out, path.relative(path.join(root, 'src'), from)));
}
// Written last: bin/finrep.js runs this build only when it is complete and no source changed after it began.
writeFileSync(path.join(out, 'build.json'), `${JSON.stringify({ sources_at: sourcesAt })}\n`);
process.stdout.write(
  `built ${out} — run it with: node ${path.relative(process.cwd(), path.join(out, 'main.js'))} <command>\n`,
);
