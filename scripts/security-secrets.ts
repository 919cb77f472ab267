/**
 * Secrets scan: every added line of the whole git history (`git log -p --all`) and, with `--files DIR…`,
 * the files of a folder tree (an image's filesystem, a build context), checked against well-known key
 * shapes and, for `NAME=value` assignments of secret-looking names, the value's entropy.
 *
 * `npm run security:secrets` prints the findings and exits 1 when one is not on the allow-list below (test
 * fixtures with made-up keys, documented examples; `--verbose` lists each allowed one, `--files DIR…` adds
 * folders, `--no-history` skips git). test/security-secrets.test.ts runs the same scan.
 * Written here rather than taken from npm: the known scanners either download a binary (gitleaks,
 * trufflehog) or need a rule package per provider (secretlint); these rules are the subset that matters for
 * finrep's secrets (docs/security.md lists them).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** A line that looks like it carries a secret. */
export interface Finding {
  rule: string;
  /** `commit:path` for history, the file path for files. */
  where: string;
  line: string;
  /** The matched value, shortened: the report never prints a whole secret. */
  value: string;
  allowed: string | null;
}

/** Key shapes with no false friends (the value itself says what it is). */
const SHAPES: { rule: string; re: RegExp }[] = [
  { rule: 'private-key', re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----/ },
  { rule: 'aws-access-key', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { rule: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b/ },
  { rule: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  { rule: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { rule: 'stripe-key', re: /\b[rs]k_live_[0-9A-Za-z]{20,}\b/ },
  // OpenAI-compatible providers (DeepSeek, DashScope/Qwen) issue `sk-` keys of 32+ characters.
  { rule: 'llm-api-key', re: /\bsk-(?:proj-)?[A-Za-z0-9_-]{24,}\b/ },
  // finrep's own API tokens (`finrep token create`).
  { rule: 'finrep-api-token', re: /\bfrp_[A-Za-z0-9_-]{20,}\b/ },
  { rule: 'jwt', re: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
  // A password inside a URL (postgresql://user:pass@host, redis://:pass@host, smtps://u:p@host).
  { rule: 'url-credentials', re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"`]*:([^\s@/'"`$]{6,})@[^\s'"`]+/ },
];

/** `NAME = value` where NAME says secret (not a plural: `prompt_tokens`): flagged when the value looks random. */
const ASSIGNMENT =
  /\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|SMTP_PASS)(?!S)[A-Z0-9_]*)\s*[:=]\s*['"]?([A-Za-z0-9+=_-][A-Za-z0-9+/=_-]{15,})(?=$|['"\s,;])/i;

/**
 * Values that are not secrets, each with why: made-up test keys, documented placeholders. A finding whose
 * value matches one is reported as allowed, never silently dropped.
 */
export const ALLOWED: { value: RegExp; why: string }[] = [
  { value: /^test-secret-0123456789abcdef/, why: 'the test suites’ fixed signing secret (test/helpers/web.ts)' },
  {
    value: /^(?:fin_pass|finrep|password|hunter2)$/i,
    why: 'the dev compose file’s local-only default, or an example URL in the docs (README, docs/security.md)',
  },
  {
    // Random-looking on purpose: the redaction tests prove these never reach a log line or an error.
    value: /^sk-(?:deepseek-Lp4tR9wY7u|e2e-SECRET-1234567890abcdef)$/,
    why: 'a made-up key of a redaction test (test/ops-metrics.test.ts, test/extract-llm.test.ts)',
  },
  { value: /(?:example|changeme|change-me|placeholder|your[-_]|xxxx|\.\.\.|<[^>]*>|\$\{)/i, why: 'a placeholder' },
];

/** Words joined by `-`/`_` (`sk-deepseek-SECRET-4242`, `bench-password-…`): typed by a person for a test. */
function readable(value: string): boolean {
  return value.split(/[-_:%@]/).filter((p) => /^[A-Za-z]{3,}$/.test(p)).length >= 2;
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const shorten = (v: string) => (v.length <= 12 ? `${v.slice(0, 3)}…` : `${v.slice(0, 8)}…(${v.length} chars)`);

/** Test and benchmark files: their URLs and settings point at local throw-away servers. */
const TEST_FILE = /(?:^|[:/])(?:test|bench)\/|\.test\.tsx?(?::|$)|\/testdata\//;

function allowedWhy(value: string, rule: string, where: string): string | null {
  const listed = ALLOWED.find((a) => a.value.test(value));
  if (listed) return listed.why;
  // A heuristic match (not a key shape) in a test: a made-up password for a local server or a fake setting.
  if ((rule === 'url-credentials' || rule === 'secret-assignment') && TEST_FILE.test(where))
    return 'a made-up value in a test or benchmark file (local throw-away servers)';
  // Key shapes that prove themselves (a private key block, AWS, GitHub…) are never excused as readable.
  if (['llm-api-key', 'finrep-api-token', 'secret-assignment'].includes(rule) && readable(value.replace(/^sk-/, '')))
    return 'words joined by dashes: a value a person typed for a test, not a generated key';
  return null;
}

/** The findings of one line of text. */
export function scanLine(line: string, where: string): Finding[] {
  const out: Finding[] = [];
  for (const { rule, re } of SHAPES) {
    const m = re.exec(line);
    if (!m) continue;
    const value = m[1] ?? m[0];
    if (rule === 'url-credentials' && /^\$|^\{|%s|\$\{/.test(value)) continue;
    out.push({
      rule,
      where,
      line: line.trim().slice(0, 160),
      value: shorten(value),
      allowed: allowedWhy(value, rule, where),
    });
  }
  const a = ASSIGNMENT.exec(line);
  if (a && out.length === 0) {
    const value = a[2]!;
    // Random-looking: ≥ 3.5 bits a character, as generated keys are (words and identifiers score lower).
    if (entropy(value) >= 3.5) {
      out.push({
        rule: 'secret-assignment',
        where,
        line: line.trim().slice(0, 160),
        value: shorten(value),
        allowed: allowedWhy(value, 'secret-assignment', where),
      });
    }
  }
  return out;
}

/** Every added line of every commit (`git log -p --all`), scanned; `where` is `commit7:path`. */
export async function scanHistory(repo: string): Promise<{ findings: Finding[]; commits: number; lines: number }> {
  const git = spawn('git', ['log', '-p', '--all', '--no-color', '--no-ext-diff', '--format=commit %H'], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const findings: Finding[] = [];
  let commit = '';
  let file = '';
  let commits = 0;
  let lines = 0;
  for await (const line of createInterface({ input: git.stdout, crlfDelay: Infinity })) {
    if (line.startsWith('commit ')) {
      commit = line.slice(7, 14);
      commits++;
    } else if (line.startsWith('+++ ')) file = line.slice(6);
    else if (line.startsWith('+') && !line.startsWith('+++')) {
      lines++;
      findings.push(...scanLine(line.slice(1), `${commit}:${file}`));
    }
  }
  const code = await new Promise<number | null>((resolve) => git.on('close', resolve));
  if (code !== 0) throw new Error(`git log exited ${code}`);
  return { findings, commits, lines };
}

/** Every text file under `root` (binary files and node_modules' own test fixtures skipped), scanned. */
export function scanFiles(root: string, opts: { skip?: RegExp } = {}): { findings: Finding[]; files: number } {
  const findings: Finding[] = [];
  let files = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (opts.skip?.test(p)) continue;
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 2 * 1024 * 1024) {
        const buf = readFileSync(p);
        if (buf.subarray(0, 8000).includes(0)) continue;
        files++;
        const rel = path.relative(root, p);
        buf
          .toString('utf8')
          .split('\n')
          .forEach((line, i) => findings.push(...scanLine(line, `${rel}:${i + 1}`)));
      }
    }
  };
  walk(root);
  return { findings, files };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const root = path.resolve(import.meta.dirname, '..');
  const results: { scope: string; findings: Finding[]; size: string }[] = [];
  if (!args.includes('--no-history')) {
    const h = await scanHistory(root);
    results.push({ scope: 'git history', findings: h.findings, size: `${h.commits} commits, ${h.lines} added lines` });
  }
  const i = args.indexOf('--files');
  for (const dir of i >= 0 ? args.slice(i + 1) : []) {
    const f = scanFiles(path.resolve(dir), { skip: /\/(?:\.git|proc|sys|dev)$/ });
    results.push({ scope: dir, findings: f.findings, size: `${f.files} text files` });
  }
  let open = 0;
  const verbose = args.includes('--verbose');
  for (const r of results) {
    const bad = r.findings.filter((f) => !f.allowed);
    open += bad.length;
    process.stdout.write(`${r.scope} (${r.size}): ${bad.length} findings, ${r.findings.length - bad.length} allowed\n`);
    for (const f of bad) process.stdout.write(`  FINDING ${f.rule} ${f.where} ${f.value}\n`);
    const why = new Map<string, number>();
    for (const f of r.findings) if (f.allowed) why.set(f.allowed, (why.get(f.allowed) ?? 0) + 1);
    for (const [w, n] of why) process.stdout.write(`  allowed ×${n}: ${w}\n`);
    if (verbose)
      for (const f of r.findings.filter((x) => x.allowed))
        process.stdout.write(`    ${f.rule} ${f.where} ${f.value}\n`);
  }
  process.exitCode = open > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await main();
