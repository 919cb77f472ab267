import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

/** Runs the real command with only the given environment (plus PATH/HOME), in an empty folder. */
function finrep(args: string[], env: Record<string, string | undefined>, cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd, encoding: 'utf8', timeout: 120_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('finrep command: bad configuration ends in one line and a non-zero exit', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'finrep-cli-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each([
    { name: 'REPORT_TOPN=abc', env: { REPORT_TOPN: 'abc' }, line: /^finrep: configuration error: REPORT_TOPN: expected an integer \(got "abc"\)$/, code: 2 },
    { name: 'unreadable SMTP_PASS_FILE', env: { SMTP_PASS_FILE: '/nonexistent/smtp_pass' }, line: /^finrep: configuration error: SMTP_PASS_FILE: cannot read \/nonexistent\/smtp_pass \(ENOENT\)$/, code: 2 },
    { name: 'a DATABASE_URL that refuses connections', env: { DATABASE_URL: 'postgres://fin_user:topsecret@127.0.0.1:1/fin' }, line: /^finrep: database error: DATABASE_URL: cannot connect to postgres:\/\/fin_user:\*\*\*@127\.0\.0\.1:1\/fin \(ECONNREFUSED\)$/, code: 1 },
  ])('$name', ({ env, line, code }) => {
    const r = finrep(['run', '--dry-run'], { FINREP_DATA_DIR: path.join(cwd, 'data'), ...env }, cwd);
    expect(r.code).toBe(code);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(r.stderr).not.toContain('topsecret');
    expect(r.stdout).toBe('');
  });
});

describe(`finrep run --demo --json (${TEST_DB})`, () => {
  let t: TestDatabase;
  let cwd: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.close(); // the command opens it itself (PGlite allows one process)
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-cli-'));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints exactly one JSON summary on stdout and writes the report, workbook and mails', { timeout: 240_000 }, () => {
    const env: Record<string, string> = { FINREP_DATA_DIR: t.dataDir, ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}) };
    const r = finrep(['run', '--demo', '--json', '--date', '2025-11-10'], env, cwd);
    expect(r.stderr).toContain('report:');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['edition', 'status', 'collect', 'dedup', 'extract', 'report', 'deliver', 'timings_ms']));
    expect(summary.edition).toBe('2025-11-10');
    expect(summary.collect).toEqual(expect.objectContaining({ sources: expect.any(Number), fetched: expect.any(Number), new_articles: expect.any(Number), failed_sources: 0 }));
    expect(summary.dedup).toEqual(expect.objectContaining({ unique: expect.any(Number), clusters: expect.any(Number), duplicates: expect.any(Number) }));
    expect(summary.extract).toEqual(expect.objectContaining({ articles: expect.any(Number), by_provider: { local: expect.any(Number) }, currency: 'CNY' }));
    expect(summary.deliver).toEqual(expect.objectContaining({ recipients: 3, sent: 3, failed: 0, skipped: 0 }));
    expect(existsSync(summary.report.html)).toBe(true);
    expect(existsSync(summary.report.xlsx)).toBe(true);
    expect(readdirSync(path.join(t.dataDir, 'outbox', '2025-11-10')).filter((f) => f.endsWith('.eml'))).toHaveLength(3);

    const again = finrep(['run', '--demo', '--json', '--date', '2025-11-10'], env, cwd);
    expect(again.code).toBe(0);
    const second = JSON.parse(again.stdout);
    expect(second.collect.new_articles).toBe(0);
    expect(second.deliver).toEqual(expect.objectContaining({ sent: 0, skipped: 3 }));
  });
});
