/**
 * The secrets scan of docs/security.md: the rules find the shapes of real keys and pass code and
 * placeholders, and the whole git history and the files that go into the image hold no secret beyond the
 * allow-listed test fixtures. The keys below are built at run time, so this file trips no scan itself.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFiles, scanHistory, scanLine } from '../scripts/security-secrets.ts';

const root = path.resolve(import.meta.dirname, '..');
const rand = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') =>
  [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('secrets scan', () => {
  it.each([
    { rule: 'llm-api-key', line: `PROVIDER_DEEPSEEK_API_KEY=${'sk'}-${rand(32)}` },
    { rule: 'aws-access-key', line: `aws_access_key_id = ${'AK'}IA${rand(16, upper)}` },
    { rule: 'private-key', line: `-----BEGIN ${'RSA'} PRIVATE KEY-----` },
    { rule: 'github-token', line: `token: ${'gh'}p_${rand(36)}` },
    { rule: 'finrep-api-token', line: `curl -H "Authorization: Bearer ${'frp'}_${rand(32)}"` },
    {
      rule: 'jwt',
      line: `cookie: finrep_session=${b64('{"alg":"HS256"}')}.${b64('{"sub":"1","sv":0}')}.${rand(43)}`,
    },
    { rule: 'url-credentials', line: `DATABASE_URL=postgresql://finrep:${rand(20)}@db.internal:5432/finrep` },
    { rule: 'secret-assignment', line: `JWT_SECRET_KEY=${rand(40)}` },
  ])('finds a $rule', ({ rule, line }) => {
    const found = scanLine(line, 'x');
    expect(found.map((f) => f.rule)).toContain(rule);
    expect(found.every((f) => f.allowed === null)).toBe(true);
    // The report shows the start of the value, never all of it.
    expect(JSON.stringify(found.map((f) => f.value))).not.toContain(line.slice(-12));
  });

  it.each([
    'prompt_tokens: Number(row.prompt_tokens),',
    'JWT_SECRET_KEY_FILE: /run/secrets/jwt_secret_key',
    'const token = reply.generateCsrf();',
    '# DATABASE_URL=postgresql://user:${POSTGRES_PASSWORD}@postgres:5432/finrep',
    'PROVIDER_DEEPSEEK_API_KEY=',
    'METRICS_TOKEN=change-me-to-a-long-random-string',
  ])('passes code, paths and placeholders: %s', (line) => {
    expect(scanLine(line, 'x').filter((f) => !f.allowed)).toEqual([]);
  });

  it.skipIf(!existsSync(path.join(root, '.git')))(
    'the whole git history holds no secret but the allow-listed test fixtures',
    async () => {
      const { findings, commits, lines } = await scanHistory(root);
      expect(commits).toBeGreaterThan(0);
      expect(lines).toBeGreaterThan(1000);
      expect(findings.filter((f) => !f.allowed).map((f) => `${f.rule} ${f.where} ${f.value}`)).toEqual([]);
    },
  );

  it('the files the image is built from (src, bin, scripts, package files) hold no secret', () => {
    // What .dockerignore lets into the build context: no tests, no test data.
    const skip = /\.test\.tsx?$|\/testdata(?:\/|$)/;
    const findings = ['src', 'bin', 'scripts'].flatMap((d) => scanFiles(path.join(root, d), { skip }).findings);
    for (const f of ['package.json', 'package-lock.json', 'Dockerfile', '.env.example'])
      findings.push(...scanFiles(root, { skip: new RegExp(`^${root}/(?!${f.replace('.', '\\.')}$)`) }).findings);
    expect(findings.filter((f) => !f.allowed).map((f) => `${f.rule} ${f.where} ${f.value}`)).toEqual([]);
  });
});
