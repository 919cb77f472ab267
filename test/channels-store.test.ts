import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addChannel,
  ChannelInputError,
  getChannel,
  listChannels,
  openTarget,
  removeChannel,
  updateChannel,
} from '../src/channels/store.ts';
import { channelsQ } from '../src/db/queries/index.ts';
import { listAudit } from '../src/db/queries/audit.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const SECRET = 'test-signing-secret-0123456789';
const URL_WECOM = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=TOKEN-abc-123';

async function inputError(p: Promise<unknown>): Promise<ChannelInputError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelInputError);
  return err as ChannelInputError;
}

describe(`channels: the store (${TEST_DB})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('adds a channel with its URL and secret sealed, shows it redacted and opens it again', async () => {
    const v = await addChannel(
      t.db,
      SECRET,
      { name: 'research-wecom', kind: 'wecom', url: URL_WECOM, group: '研究部' },
      { actor: 'cli:ops' },
    );
    expect(v).toMatchObject({
      name: 'research-wecom',
      kind: 'wecom',
      url: 'https://qyapi.weixin.qq.com/…',
      host: 'qyapi.weixin.qq.com',
      hasSecret: false,
      group: '研究部',
      enabled: true,
    });
    const ding = await addChannel(t.db, SECRET, {
      name: '钉钉-投资部',
      kind: 'dingtalk',
      url: 'http://127.0.0.1:9/robot/send?access_token=T0K',
      secret: 'SEC-very-secret',
      options: { keywords: ['日报', ' 日报 ', ''] },
    });
    expect(ding).toMatchObject({ url: 'http://127.0.0.1:9/…', hasSecret: true, options: { keywords: ['日报'] } });

    const row = (await channelsQ.getChannelRow(t.db, '钉钉-投资部'))!;
    const stored = JSON.stringify(row);
    expect(stored).not.toContain('T0K');
    expect(stored).not.toContain('SEC-very-secret');
    expect(openTarget(row, SECRET)).toEqual({
      name: '钉钉-投资部',
      kind: 'dingtalk',
      url: 'http://127.0.0.1:9/robot/send?access_token=T0K',
      secret: 'SEC-very-secret',
      options: { keywords: ['日报'] },
    });
    expect(() => openTarget(row, 'another-secret-0123456789')).toThrow(/cannot be opened/);

    const audit = await listAudit(t.db, { action: 'channel.add' });
    expect(audit.map((a) => a.target).sort()).toEqual(['research-wecom', '钉钉-投资部'].sort());
    expect(JSON.stringify(audit)).not.toMatch(/TOKEN-abc|T0K|SEC-very/);
    expect(audit.find((a) => a.target === 'research-wecom')!.actor).toBe('cli:ops');
  });

  it('refuses wrong input, naming the field', async () => {
    const base = { name: 'x1', kind: 'wecom' as const, url: URL_WECOM };
    expect((await inputError(addChannel(t.db, SECRET, { ...base, name: 'has space' }))).field).toBe('name');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, name: 'research-wecom' }))).field).toBe('name');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, kind: 'slack' as never }))).field).toBe('kind');
    const ftp = await inputError(addChannel(t.db, SECRET, { ...base, url: 'ftp://h/x?key=SECRETKEY' }));
    expect(ftp.field).toBe('url');
    expect(ftp.message).not.toContain('SECRETKEY');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, url: 'not a url' }))).field).toBe('url');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, secret: 's' }))).field).toBe('secret');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, kind: 'telegram' }))).field).toBe('chatId');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, options: { chatId: '-100' } }))).field).toBe('chatId');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, options: { maxItems: 51 } }))).field).toBe('maxItems');
    expect(
      (await inputError(addChannel(t.db, SECRET, { ...base, kind: 'webhook', options: { format: 'xml' as never } })))
        .field,
    ).toBe('format');
    expect((await inputError(addChannel(t.db, SECRET, { ...base, options: { keywords: ['a'] } }))).field).toBe(
      'keywords',
    );
    const tg = await addChannel(t.db, SECRET, {
      name: 'tg',
      kind: 'telegram',
      url: 'https://api.telegram.org/botX:Y/sendMessage',
      options: { chatId: '-1001234', maxItems: 5 },
    });
    expect(tg.options).toEqual({ chatId: '-1001234', maxItems: 5 });
    const hook = await addChannel(t.db, SECRET, { name: 'hook', kind: 'webhook', url: 'https://hooks.example.com/x' });
    expect(hook.options).toEqual({ format: 'json' });
  });

  it('updates: a blank URL or secret keeps it, null removes the secret; removes', async () => {
    const v = await updateChannel(t.db, SECRET, '钉钉-投资部', {
      url: '',
      secret: '',
      group: '投资部',
      enabled: false,
    });
    expect(v).toMatchObject({ hasSecret: true, group: '投资部', enabled: false, url: 'http://127.0.0.1:9/…' });
    const row = (await channelsQ.getChannelRow(t.db, '钉钉-投资部'))!;
    expect(openTarget(row, SECRET).secret).toBe('SEC-very-secret');
    const v2 = await updateChannel(t.db, SECRET, '钉钉-投资部', {
      secret: null,
      url: 'https://oapi.dingtalk.com/robot/send?access_token=NEW',
    });
    expect(v2).toMatchObject({ hasSecret: false, url: 'https://oapi.dingtalk.com/…' });
    expect(openTarget((await channelsQ.getChannelRow(t.db, '钉钉-投资部'))!, SECRET).url).toContain('NEW');
    expect((await inputError(updateChannel(t.db, SECRET, 'tg', { name: 'hook' }))).field).toBe('name');
    expect(await updateChannel(t.db, SECRET, 'nope', { group: 'x' })).toBeNull();
    expect((await listChannels(t.db)).map((c) => c.name)).toEqual(['hook', 'research-wecom', 'tg', '钉钉-投资部']);
    expect(await removeChannel(t.db, 'tg', { actor: 'cli:ops' })).toBe(true);
    expect(await removeChannel(t.db, 'tg')).toBe(false);
    expect(await getChannel(t.db, 'tg')).toBeNull();
    expect((await listAudit(t.db, { action: 'channel.remove' }))[0]).toMatchObject({ target: 'tg', actor: 'cli:ops' });
  });
});
