import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editionsQ } from '../src/db/queries/index.ts';
import type { ReportModel } from '../src/domain.ts';
import { storeReportModel } from '../src/report/stored-model.ts';
import { largeModel } from '../src/report/testdata/model.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { deliverEnv, startFinrep } from './helpers/delivery.ts';
import { startChatPlatforms } from './helpers/chat-platforms.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';

const D1 = '2026-04-01';
const D2 = '2026-04-02';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function seedEdition(t: TestDatabase, date: string, model: ReportModel): Promise<void> {
  const to = new Date(`${date}T00:00:00+08:00`);
  const e = await editionsQ.ensureEdition(t.db, date, new Date(to.getTime() - 86_400_000), to);
  await editionsQ.updateEdition(t.db, e.id, {
    status: 'composed',
    model: storeReportModel({ ...model, edition: date, title: `金融情报日报 ${date}` }),
  });
}

/** Resolves when `cond` holds; rejects if the child ends first. */
async function until(cond: () => boolean, done: Promise<{ code: number | null; stderr: string }>): Promise<void> {
  let ended = false;
  void done.then(() => (ended = true));
  while (!cond()) {
    if (ended) throw new Error(`the sender exited first: ${(await done).stderr}`);
    await sleep(5);
  }
}

describe(`finrep channels: the CLI, and nothing sent twice across a SIGKILL mid-send (${TEST_DB})`, () => {
  let t: TestDatabase | undefined;
  let chat: ChatPlatforms | undefined;
  afterAll(async () => {
    await chat?.close();
    await t?.drop();
  });

  it('adds, lists, tests and removes channels without printing a secret; sends exactly once across kills', async () => {
    t = await createTestDatabase();
    chat = await startChatPlatforms();
    await seedEdition(t, D1, largeModel(12));
    // D2: 30 top stories with long summaries — several WeCom messages.
    const long = largeModel(30);
    long.top = long.all.slice(0, 30).map((e) => ({ ...e, summary: `${e.summary}${'长摘要。'.repeat(60)}` }));
    await seedEdition(t, D2, long);
    await t.close(); // the children open it (PGlite belongs to one process)
    const env = deliverEnv({ dataDir: t.dataDir, databaseUrl: t.databaseUrl, smtpPort: 1, rate: 20 });
    const cli = async (...args: string[]) => startFinrep(['channels', ...args], env, t!.dataDir).done;
    const tokens = (['wecom', 'feishu', 'webhook'] as const).map((k) => chat!.token(k));
    const secret = chat.secret('feishu')!;
    const noSecret = (out: string) => {
      for (const s of [...tokens, secret]) expect(out).not.toContain(s);
    };

    // ── the CLI ──
    const urlFile = path.join(t.dataDir, 'feishu.url');
    const secretFile = path.join(t.dataDir, 'feishu.secret');
    writeFileSync(urlFile, `${chat.url('feishu')}\n`);
    writeFileSync(secretFile, `${secret}\n`);
    const adds = [
      await cli('add', 'hook', '--kind', 'webhook', '--url', chat.url('webhook'), '--group', 'a'),
      await cli(
        'add',
        'feishu-a',
        '--kind',
        'feishu',
        '--url-file',
        urlFile,
        '--secret-file',
        secretFile,
        '--group',
        'a',
      ),
      await cli('add', 'wecom-a', '--kind', 'wecom', '--url', chat.url('wecom'), '--group', 'a'),
      await cli(
        'add',
        'wecom-long',
        '--kind',
        'wecom',
        '--url',
        chat.url('wecom'),
        '--group',
        'b',
        '--max-items',
        '50',
      ),
      await cli('add', 'tmp', '--kind', 'telegram', '--url', chat.url('telegram'), '--chat-id', chat.telegramChatId),
    ];
    for (const r of adds) {
      expect(r.code, r.stderr).toBe(0);
      noSecret(r.stdout + r.stderr);
    }
    expect(adds[0]!.stderr).toContain('added hook (webhook, http://127.0.0.1:');

    const bad = await cli('add', 'bad', '--kind', 'wecom', '--url', 'ftp://example.com/x?key=FTPTOKEN');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--url: .*http or https/);
    expect(bad.stderr).not.toContain('FTPTOKEN');
    const listed = await cli('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/feishu-a {2}feishu {2}http:\/\/127\.0\.0\.1:\d+\/… {2}group a {2}signed/);
    noSecret(listed.stdout + listed.stderr);
    const json = JSON.parse((await cli('list', '--json')).stdout) as { name: string; secret: boolean; url: string }[];
    expect(json.map((c) => c.name)).toEqual(['feishu-a', 'hook', 'tmp', 'wecom-a', 'wecom-long']);
    expect(json.find((c) => c.name === 'feishu-a')).toMatchObject({ secret: true });
    noSecret(JSON.stringify(json));

    const tested = await cli('test', 'feishu-a');
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stderr).toMatch(/feishu-a: accepted \(HTTP 200\)/);
    expect(chat.received('feishu')).toHaveLength(1);
    noSecret(tested.stderr);

    expect((await cli('remove', 'tmp')).code).toBe(0);
    chat.clear();

    // ── a kill while a part's request is in flight: that channel uncertain, the others sent once ──
    chat.setHang('wecom', true);
    // One channel at a time, in the order they were added: hook and feishu-a are sent and recorded before
    // wecom-a's request hangs.
    const first = startFinrep(
      ['channels', 'send', '--edition', D1, '--groups', 'a', '--concurrency', '1', '--json'],
      env,
      t.dataDir,
    );
    await until(() => chat!.received('wecom').length === 1, first.done);
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    chat.setHang('wecom', false);

    const second = await cli('send', '--edition', D1, '--groups', 'a', '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('channel message interrupted by a crash marked uncertain (not re-sent)');
    expect(JSON.parse(second.stdout)).toMatchObject({
      channels: 3,
      sent: 0,
      skipped: 3,
      uncertain: 1,
      failed: 0,
      retrying: 0,
      error: null,
    });
    expect(chat.received('wecom')).toHaveLength(1); // the hung one only: never re-sent
    expect(chat.received('feishu')).toHaveLength(1);
    expect(chat.received('webhook')).toHaveLength(1);

    const third = await cli('send', '--edition', D1, '--groups', 'a', '--json');
    expect(JSON.parse(third.stdout)).toMatchObject({ channels: 3, sent: 0, skipped: 3, uncertain: 1 });
    expect(chat.received('wecom').length + chat.received('feishu').length + chat.received('webhook').length).toBe(3);

    const logged = JSON.parse((await cli('log', '--edition', D1, '--json')).stdout) as {
      channel: string;
      status: string;
      error: string | null;
    }[];
    expect(logged.find((r) => r.channel === 'wecom-a')).toMatchObject({ status: 'uncertain' });
    expect(logged.find((r) => r.channel === 'wecom-a')!.error).toMatch(/interrupted while sending/);

    // The operator checked the group chat and resends it: it goes once more.
    const resent = await cli('resend', 'wecom-a', '--edition', D1, '--json');
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.stderr).toContain('re-queued 1: wecom-a');
    expect(JSON.parse(resent.stdout)).toMatchObject({ sent: 1 });
    expect(chat.received('wecom')).toHaveLength(2);
    expect((await cli('resend', 'wecom-a', '--edition', D1)).stderr).toMatch(/nothing to resend.*needs --force/);

    // ── a kill between two parts: the next run sends only the parts left ──
    chat.clear();
    const split = startFinrep(['channels', 'send', '--edition', D2, '--groups', 'b', '--json'], env, t.dataDir);
    await until(() => chat!.received('wecom').length === 1, split.done);
    // WeCom allows 20 messages a minute: the next part waits ~3 s for its slot. The first part's record
    // is written within this second.
    await sleep(1000);
    expect(chat.received('wecom')).toHaveLength(1);
    split.child.kill('SIGKILL');
    expect((await split.done).signal).toBe('SIGKILL');

    const rest = await cli('send', '--edition', D2, '--groups', 'b', '--json');
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ channels: 1, sent: 1, uncertain: 0, failed: 0 });
    const row = (
      JSON.parse((await cli('log', '--edition', D2, '--json')).stdout) as {
        channel: string;
        parts: number;
        parts_sent: number;
        status: string;
      }[]
    )[0]!;
    expect(row.parts).toBeGreaterThan(1);
    expect(row).toMatchObject({ status: 'sent', parts_sent: row.parts });
    const texts = chat.received('wecom').map((m) => m.text);
    expect(texts).toHaveLength(row.parts); // each part exactly once
    for (let p = 1; p <= row.parts; p++)
      expect(
        texts.filter((x) => x.includes(`${p}/${row.parts}`)),
        `part ${p}`,
      ).toHaveLength(1);
  }, 900_000);
});
