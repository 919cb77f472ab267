import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { editionsQ, recipientsQ } from '../../src/db/queries/index.ts';
import type { Db } from '../../src/db/client.ts';

export const BIN = path.resolve(import.meta.dirname, '../../bin/finrep.js');

/** The recipients of a test edition: r001@example.com … with Chinese names, in groups 研究部 / 投资部. */
export function testRecipients(n: number, domain = 'example.com') {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(3, '0');
    return { email: `r${k}@${domain}`, name: `收件人${k}`, groups: [i % 2 === 0 ? '研究部' : '投资部'] };
  });
}

/** A small workbook stand-in: the bytes only need to survive the round trip. */
export const XLSX_BYTES = Buffer.from('PK\u0003\u0004 finrep test workbook 金融情报', 'utf8');

/**
 * Seeds `n` recipients and a composed edition whose files (email.html, report.txt, the workbook) are stored
 * under `dataDir/reports/<date>/`, as the compose stage leaves them — what `finrep deliver` sends.
 */
export async function seedStoredEdition(
  db: Db,
  dataDir: string,
  o: { date: string; recipients: number },
): Promise<{ editionId: number; emails: string[]; xlsxName: string; subject: string }> {
  const list = testRecipients(o.recipients);
  await recipientsQ.upsertRecipients(db, list);
  const from = new Date(`${o.date}T00:00:00+08:00`);
  const edition = await editionsQ.ensureEdition(db, o.date, new Date(from.getTime() - 86_400_000), from);
  const dir = path.join(dataDir, 'reports', o.date);
  mkdirSync(dir, { recursive: true });
  const xlsxName = `金融情报日报-${o.date}.xlsx`;
  const subject = `金融情报日报｜${o.date} · 今日要闻 5 条`;
  writeFileSync(
    path.join(dir, 'email.html'),
    `<!doctype html><html><body><h1>今日要闻</h1><p>央行开展 MLF 操作，净投放 3000 亿元。</p></body></html>`,
  );
  writeFileSync(path.join(dir, 'report.txt'), '今日要闻\n央行开展 MLF 操作，净投放 3000 亿元。\n');
  writeFileSync(path.join(dir, xlsxName), XLSX_BYTES);
  await editionsQ.updateEdition(db, edition.id, {
    status: 'composed',
    subject,
    htmlPath: path.join(dir, 'email.html'),
    textPath: path.join(dir, 'report.txt'),
    xlsxPath: path.join(dir, xlsxName),
  });
  return { editionId: edition.id, emails: list.map((r) => r.email), xlsxName, subject };
}

/** A running `finrep …` child process and its output. */
export interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts the real command with only the given environment (plus PATH/HOME). */
export function startFinrep(args: string[], env: Record<string, string | undefined>, cwd: string): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return { child, done };
}

/** The environment a `finrep deliver` child needs for a test database and SMTP server. */
export function deliverEnv(o: {
  dataDir: string;
  databaseUrl: string | null;
  smtpPort: number;
  rate: number;
  redisUrl?: string;
  extra?: Record<string, string>;
}): Record<string, string | undefined> {
  return {
    FINREP_DATA_DIR: o.dataDir,
    DATABASE_URL: o.databaseUrl ?? undefined,
    REDIS_URL: o.redisUrl,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(o.smtpPort),
    SMTP_FROM: 'report@finrep.test',
    SMTP_FROM_NAME: '金融情报日报',
    MAIL_RATE_LIMIT_PER_SEC: String(o.rate),
    JWT_SECRET_KEY: 'test-secret-0123456789abcdef',
    LOG_LEVEL: 'warn',
    ENV: 'test',
    ...o.extra,
  };
}
