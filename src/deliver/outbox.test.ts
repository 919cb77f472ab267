import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { MailError } from './mailer.ts';
import { buildMessage, XLSX_CONTENT_TYPE } from './message.ts';
import { createOutboxMailer, outboxFileName } from './outbox.ts';

const log = silentLogger();
const XLSX = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x80, 0x0d, 0x0a]);

function message(to = 'Li.Si@Example.com') {
  return buildMessage({
    edition: '2025-11-10',
    to: { address: to, name: '李四' },
    from: { address: 'report@finrep.example.com', name: '金融情报日报' },
    subject: '金融情报日报｜2025-11-10',
    html: '<p>今日要闻：沪指收涨 0.5%</p>',
    text: '今日要闻：沪指收涨 0.5%',
    xlsx: XLSX,
    xlsxName: '金融情报日报-2025-11-10.xlsx',
    unsubscribeUrl: 'https://finrep.example.com/unsubscribe?t=abc',
    messageIdDomain: 'finrep.example.com',
  });
}

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'finrep-outbox-'));
});
afterEach(async () => {
  await chmod(tmp, 0o755).catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
});

describe('createOutboxMailer', () => {
  it('writes an .eml file that reads back with the same subject and attachment', async () => {
    const dir = path.join(tmp, 'nested', 'outbox');
    const mailer = createOutboxMailer(dir, { log });
    const msg = message();
    const result = await mailer.send(msg);

    expect(result).toEqual({ messageId: msg.messageId, response: path.join(dir, outboxFileName(msg)), accepted: true });
    expect(path.basename(result.response)).toMatch(/^li\.si@example\.com-[0-9a-f]{8}\.eml$/);
    expect(await readdir(dir)).toEqual([path.basename(result.response)]); // no temp file left behind

    const raw = await readFile(result.response);
    expect(raw.includes('\r\n')).toBe(true);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('金融情报日报｜2025-11-10');
    expect(parsed.messageId).toBe(msg.messageId);
    expect(parsed.text?.trim()).toBe(msg.text);
    expect(parsed.html).toContain('沪指收涨');
    expect(parsed.headers.get('x-finrep-edition')).toBe('2025-11-10');
    const [att] = parsed.attachments;
    expect(att?.filename).toBe('金融情报日报-2025-11-10.xlsx');
    expect(att?.contentType).toBe(XLSX_CONTENT_TYPE);
    expect(Buffer.compare(att!.content, XLSX)).toBe(0);
    await mailer.close();
  });

  it('overwrites the same message instead of duplicating it, and keeps different ones apart', async () => {
    const mailer = createOutboxMailer(tmp, { log });
    const msg = message('a@example.com');
    const first = await mailer.send(msg);
    const again = await mailer.send(msg);
    const other = await mailer.send(message('a@example.com'));
    expect(again.response).toBe(first.response);
    expect(other.response).not.toBe(first.response);
    expect((await readdir(tmp)).sort()).toEqual([path.basename(first.response), path.basename(other.response)].sort());
  });

  it('names files safely whatever the address', () => {
    const name = outboxFileName({ to: { address: '../张三@例子.cn', name: null }, messageId: '<x@y>' });
    expect(name).toMatch(/^[a-z0-9@._+-]+\.eml$/);
    expect(name.startsWith('.')).toBe(false);
    expect(name).not.toContain('/');
  });

  it('verify creates the folder and reports one that cannot be used', async () => {
    const dir = path.join(tmp, 'new');
    await createOutboxMailer(dir, { log }).verify();
    expect(await readdir(tmp)).toEqual(['new']);

    const file = path.join(tmp, 'a-file');
    await writeFile(file, 'x');
    const blocked = createOutboxMailer(path.join(file, 'outbox'), { log });
    await expect(blocked.verify()).rejects.toBeInstanceOf(MailError);
    const err = await blocked.send(message()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EOUTBOX', scope: 'mailer' });
  });
});
