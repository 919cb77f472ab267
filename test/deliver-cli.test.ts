import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startFinrep } from './helpers/delivery.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';

const PASSWORD = 'p@ss-秘密-Zq81';
const run = (args: string[], env: Record<string, string | undefined>, cwd: string) => startFinrep(args, env, cwd).done;

describe('finrep smtp-test', () => {
  let smtp: TestSmtp;
  let cwd: string;
  beforeAll(async () => {
    smtp = await startTestSmtp({ authRequired: true, users: { finrep: PASSWORD } });
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-smtp-test-'));
  });
  afterAll(async () => {
    await smtp.close();
    rmSync(cwd, { recursive: true, force: true });
  });
  const env = (over: Record<string, string | undefined> = {}) => ({
    FINREP_DATA_DIR: path.join(cwd, 'data'),
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_USER: 'finrep',
    SMTP_PASS: PASSWORD,
    SMTP_FROM: 'report@finrep.test',
    ...over,
  });

  it("sends a test message and prints the server's reply", async () => {
    const r = await run(['smtp-test', '--to', 'ops@example.com'], env(), cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^250 /);
    expect(r.stderr).toContain(`sent to ops@example.com from report@finrep.test via 127.0.0.1:${smtp.port}`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(smtp.countFor('ops@example.com')).toBe(1);
    const parsed = await simpleParser(smtp.messages.at(-1)!.raw);
    expect(parsed.subject).toMatch(/^finrep SMTP 测试邮件/);
    expect(smtp.messages.at(-1)!.user).toBe('finrep');
  });

  it.each([
    {
      name: 'a refused login',
      over: { SMTP_PASS: `${PASSWORD}-wrong` },
      line: /^finrep: error: smtp-test: 127\.0\.0\.1:\d+: Invalid login: 535 .*\[EAUTH\]$/,
    },
    { name: 'no SMTP_HOST', over: { SMTP_HOST: undefined }, line: /^finrep: error: SMTP_HOST is not set/ },
    { name: 'a bad --to', over: {}, to: 'nobody', line: /^finrep: error: --to: not an e-mail address: "nobody"$/ },
    {
      name: 'a server that is down',
      over: { SMTP_PORT: 'closed' },
      line: /^finrep: error: smtp-test: 127\.0\.0\.1:\d+: .*\[ESOCKET\/ECONNREFUSED\]$/,
    },
  ])('fails with one line for $name, never showing the password', async ({ over, to, line }) => {
    const port = over.SMTP_PORT === 'closed' ? String(await closedPort()) : undefined;
    const r = await run(
      ['smtp-test', '--to', to ?? 'ops@example.com'],
      env({ ...over, ...(port && { SMTP_PORT: port }) }),
      cwd,
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  });
});

describe(`finrep recipients import / list (${TEST_DB})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.close();
  });
  afterAll(async () => {
    await t?.drop();
  });
  const env = () => ({ FINREP_DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl ?? undefined });

  it('imports a GBK file from Excel: good rows in, bad ones reported by line, duplicates merged', async () => {
    const file = path.join(t.dataDir, '收件人.csv');
    writeFileSync(
      file,
      iconv.encode(
        [
          '邮箱,姓名,分组',
          'zhang@example.com,张三,研究部;投资部',
          'li@example.com,李四,研究部',
          'broken.example.com,坏行,研究部',
          'ZHANG@example.com,张三丰,风控部',
          'wang＠example.com,王五,投资部',
          '',
        ].join('\r\n'),
        'gbk',
      ),
    );
    const r = await run(['recipients', 'import', file, '--json'], env(), t.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      encoding: 'gb18030',
      valid: 2,
      created: 2,
      updated: 0,
      invalid: [
        { line: 4, value: 'broken.example.com', reason: 'not an e-mail address' },
        { line: 6, value: 'wang＠example.com', reason: 'full-width ＠ — write @' },
      ],
      duplicates: [{ email: 'zhang@example.com', lines: [2, 5] }],
    });

    const list = await run(['recipients', 'list', '--json'], env(), t.dataDir);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        email: 'zhang@example.com',
        name: '张三丰',
        groups: ['投资部', '研究部', '风控部'].sort(),
        enabled: true,
        unsubscribed: false,
      }),
      expect.objectContaining({ email: 'li@example.com', name: '李四', groups: ['研究部'] }),
    ]);
    const research = await run(['recipients', 'list', '--json', '--group', '风控部'], env(), t.dataDir);
    expect(JSON.parse(research.stdout).map((x: { email: string }) => x.email)).toEqual(['zhang@example.com']);

    // Text output: a summary on stdout, each problem on stderr with its line.
    const again = await run(['recipients', 'import', file], env(), t.dataDir);
    expect(again.stdout).toMatch(
      /^.*收件人\.csv \(GB18030\): 2 valid → 0 new, 2 updated; 1 duplicates merged, 2 invalid\n$/,
    );
    expect(again.stderr).toContain('line 4: "broken.example.com" — not an e-mail address');
  });

  it('refuses a file that is not a recipients CSV with one line', async () => {
    const file = path.join(t.dataDir, 'book.xlsx');
    writeFileSync(file, Buffer.from('PK\u0003\u0004\u0014\u0000', 'latin1'));
    const r = await run(['recipients', 'import', file], env(), t.dataDir);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^finrep: error: .*book\.xlsx: this is an Excel workbook/),
    ]);
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
