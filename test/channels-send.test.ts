import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { adapterFor as realAdapterFor } from '../src/channels/adapters.ts';
import { editionDigest } from '../src/channels/digest.ts';
import { runChannels } from '../src/channels/run.ts';
import type { ChannelRunDeps } from '../src/channels/run.ts';
import { addChannel, removeChannel, resendChannels, updateChannel } from '../src/channels/store.ts';
import { ChannelError } from '../src/channels/types.ts';
import type { ChannelAdapter, ChannelDigest, ChannelKind } from '../src/channels/types.ts';
import { channelsQ, editionsQ } from '../src/db/queries/index.ts';
import { alertLog, alertRules, storyClusters } from '../src/db/schema/index.ts';
import type { ChannelAttempt } from '../src/db/queries/channels.ts';
import type { ReportModel } from '../src/domain.ts';
import { createLogger } from '../src/log.ts';
import { fixtureModel } from '../src/report/testdata/model.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { DOCUMENTED_LIMITS, startChatPlatforms } from './helpers/chat-platforms.ts';
import { longEdition } from './helpers/channel-digests.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';

const SECRET = 'test-signing-secret-0123456789';
const log = createLogger({ level: 'silent' });

describe(`channels: the edition sent to each routed channel exactly once (${TEST_DB})`, () => {
  let t: TestDatabase;
  let chat: ChatPlatforms;
  // The fake's clock: moved on when a test needs a rate-limit window to end soon.
  let skew = 0;
  const deps = (): ChannelRunDeps => ({
    db: t.db,
    log,
    secret: SECRET,
    perMinute: 6000, // our own pacing out of the way; the platforms' limits are the fake's
    retryBaseMs: 20,
    maxAttempts: 3,
  });
  async function edition(date: string, model: ReportModel) {
    const e = await editionsQ.ensureEdition(
      t.db,
      date,
      new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000),
      new Date(`${date}T00:00:00Z`),
    );
    const m = { ...model, edition: date, title: `金融情报日报 ${date}` };
    return { editionId: e.id, edition: date, digest: await editionDigest(t.db, m) };
  }
  const logOf = async (editionId: number) =>
    Object.fromEntries((await channelsQ.listChannelLog(t.db, editionId)).map((r) => [r.channelName, r]));

  beforeAll(async () => {
    t = await createTestDatabase();
    chat = await startChatPlatforms({ now: () => Date.now() + skew });
    await addChannel(t.db, SECRET, { name: 'wecom-all', kind: 'wecom', url: chat.url('wecom') });
    await addChannel(t.db, SECRET, {
      name: 'feishu-research',
      kind: 'feishu',
      url: chat.url('feishu'),
      secret: chat.secret('feishu'),
      group: '研究部',
    });
    await addChannel(t.db, SECRET, {
      name: 'ding-invest',
      kind: 'dingtalk',
      url: chat.url('dingtalk'),
      secret: chat.secret('dingtalk'),
      group: '投资部',
      options: { keywords: chat.keywords },
    });
    await addChannel(t.db, SECRET, {
      name: 'tg',
      kind: 'telegram',
      url: chat.url('telegram'),
      options: { chatId: chat.telegramChatId },
    });
    await addChannel(t.db, SECRET, {
      name: 'hook',
      kind: 'webhook',
      url: chat.url('webhook'),
      options: { format: 'slack' },
    });
  });
  afterAll(async () => {
    await chat?.close();
    await t?.drop();
  });

  it('sends once to every channel, and a second run sends nothing', async () => {
    const input = await edition('2026-03-02', fixtureModel());
    const first = await runChannels(deps(), input);
    expect(first).toMatchObject({
      channels: 5,
      sent: 5,
      failed: 0,
      skipped: 0,
      uncertain: 0,
      retrying: 0,
      error: null,
    });
    for (const k of ['wecom', 'feishu', 'dingtalk', 'telegram', 'webhook'] as const) {
      expect(chat.received(k), k).toHaveLength(1);
      expect(chat.received(k)[0]!.text, k).toContain('2026-03-02');
    }
    const rows = await logOf(input.editionId);
    for (const r of Object.values(rows))
      expect(r).toMatchObject({ status: 'sent', parts: 1, partsSent: 1, attempts: 1, leaseOwner: null });
    expect(rows['wecom-all']!.lastReply).toContain('"errcode":0');

    const again = await runChannels(deps(), input);
    expect(again).toMatchObject({ channels: 5, sent: 0, skipped: 5 });
    for (const k of ['wecom', 'feishu', 'dingtalk', 'telegram', 'webhook'] as const)
      expect(chat.received(k)).toHaveLength(1);
  });

  it('routes by group: channels without a group and of the chosen groups only', async () => {
    chat.clear();
    const input = await edition('2026-03-03', fixtureModel());
    const s = await runChannels(deps(), { ...input, groups: ['研究部'] });
    expect(s).toMatchObject({ channels: 4, sent: 4 });
    expect(chat.received('feishu')).toHaveLength(1);
    expect(chat.received('dingtalk')).toHaveLength(0);
    expect(Object.keys(await logOf(input.editionId)).sort()).toEqual(['feishu-research', 'hook', 'tg', 'wecom-all']);
  });

  it("a resend (queuedOnly) sends only the edition's own rows, never a channel outside them", async () => {
    chat.clear();
    const input = await edition('2026-03-04', fixtureModel());
    await runChannels(deps(), { ...input, groups: ['研究部'] });
    expect(chat.received('dingtalk')).toHaveLength(0);
    await resendChannels(t.db, { date: input.edition, names: ['tg'], force: true });
    chat.clear();
    // The resend's deliver job runs for every group: 投资部's DingTalk robot is not one of the edition's rows.
    const s = await runChannels(deps(), { ...input, groups: null, queuedOnly: true });
    expect(s).toMatchObject({ sent: 1 });
    expect(chat.received('telegram')).toHaveLength(1);
    expect(chat.received('dingtalk')).toHaveLength(0);
    expect(Object.keys(await logOf(input.editionId))).not.toContain('ding-invest');
  });

  it('sends every part of an edition too long for one message, in order', async () => {
    chat.clear();
    await addChannel(t.db, SECRET, {
      name: 'wecom-long',
      kind: 'wecom',
      url: chat.url('wecom', chat.token('wecom')),
      options: { maxItems: 50 },
      group: '长',
    });
    const input = { ...(await edition('2026-03-04', fixtureModel())), digest: longEdition(40) };
    const s = await runChannels(deps(), { ...input, groups: ['长'] });
    expect(s.failed).toBe(0);
    const row = (await logOf(input.editionId))['wecom-long']!;
    expect(row.parts).toBeGreaterThan(1);
    expect(row).toMatchObject({ status: 'sent', partsSent: row.parts });
    const texts = chat.received('wecom').map((m) => m.text);
    // wecom-all (one message) and wecom-long (every part) share the fake's wecom robot.
    const long = texts.filter((x) => x.includes(`/${row.parts})`) || x.includes(`/${row.parts}）`));
    expect(long).toHaveLength(row.parts);
    for (const x of texts) expect(Buffer.byteLength(x)).toBeLessThanOrEqual(4096);
  });

  it('sends the rest of a split edition from the rendering its first parts came from, even once edited', async () => {
    await addChannel(t.db, SECRET, {
      name: 'wecom-edited',
      kind: 'wecom',
      url: chat.url('wecom', chat.token('wecom')),
      options: { maxItems: 50 },
      group: 'edited',
    });
    const base = await edition('2026-03-09', fixtureModel());
    chat.clear();
    chat.setRateLimit('wecom', { perMinute: 600 }); // ~20 messages here: the robot's own pace is not the point
    onTestFinished(() => chat.setRateLimit('wecom', DOCUMENTED_LIMITS.wecom));
    // The real adapter, with the bodies it posts recorded and part 2 refused once (a permanent failure).
    const posted: string[] = [];
    let refuse: number | null = 2;
    const adapterFor = (kind: ChannelKind): ChannelAdapter => {
      const real = realAdapterFor(kind);
      return {
        ...real,
        send: async (target, message, opts) => {
          if (message.part === refuse) throw new ChannelError('refused', { code: 'ETEST', permanent: true });
          posted.push(JSON.stringify(message.body));
          return real.send(target, message, opts);
        },
      };
    };
    const run = (digest: ChannelDigest) =>
      runChannels({ ...deps(), adapterFor }, { ...base, digest, groups: ['edited'], only: ['wecom-edited'] });
    const bodies = (r: { rendered: { body: unknown }[] | null }) => r.rendered!.map((m) => JSON.stringify(m.body));

    await run(longEdition(40));
    let row = (await logOf(base.editionId))['wecom-edited']!;
    expect(row).toMatchObject({ status: 'failed', partsSent: 1 });
    const first = bodies(row);
    expect(first.length).toBeGreaterThan(2);
    expect(posted).toEqual(first.slice(0, 1));

    // The report is edited in review (fewer stories: fewer parts), then the operator resends.
    const edited = longEdition(12);
    const target = { name: 'x', kind: 'wecom' as const, url: chat.url('wecom'), secret: null, options: {} };
    expect(realAdapterFor('wecom').render(edited, target).length).not.toBe(first.length);
    refuse = null;
    posted.length = 0;
    expect(await resendChannels(t.db, { date: base.edition, names: ['wecom-edited'] })).toEqual(['wecom-edited']);
    expect((await run(edited)).failed).toBe(0);
    row = (await logOf(base.editionId))['wecom-edited']!;
    expect(row).toMatchObject({ status: 'sent', parts: first.length, partsSent: first.length });
    expect(posted).toEqual(first.slice(1)); // the tail of the first rendering, nothing of the edited one

    // Sent again from the start (--force), nothing of it has gone out: it goes as the edition renders now.
    posted.length = 0;
    await resendChannels(t.db, { date: base.edition, names: ['wecom-edited'], force: true });
    await run(edited);
    row = (await logOf(base.editionId))['wecom-edited']!;
    expect(posted).toEqual(
      realAdapterFor('wecom')
        .render(edited, target)
        .map((m) => JSON.stringify(m.body)),
    );
    expect(row).toMatchObject({ status: 'sent', parts: posted.length, partsSent: posted.length });
    expect(bodies(row)).toEqual(posted);
  });

  // (A webhook takes the 40 stories in one message: it has no second part to keep.)
  it.each(['telegram', 'dingtalk', 'feishu', 'wecom'] as const)(
    "sends the rest of a split edition to the %s channel's destination as edited since, not the old one",
    async (kind) => {
      // The old destination is this fake; the operator moves the channel to another bot / robot / hook
      // (another URL, secret, Telegram chat, DingTalk keywords) after its first part went out.
      const moved = await startChatPlatforms({ now: () => Date.now() + skew, keywords: ['新关键词'] });
      moved.moveTelegramChat('-1002222222222');
      onTestFinished(() => moved.close());
      for (const c of [chat, moved]) c.setRateLimit(kind, { perMinute: 600, perSecond: 50 });
      onTestFinished(() => chat.setRateLimit(kind, DOCUMENTED_LIMITS[kind]));
      const optionsAt = (c: ChatPlatforms) =>
        kind === 'telegram'
          ? { chatId: c.telegramChatId, maxItems: 50 }
          : kind === 'dingtalk'
            ? { keywords: c.keywords, maxItems: 50 }
            : { maxItems: 50 };
      const name = `moved-${kind}`;
      await addChannel(t.db, SECRET, {
        name,
        kind,
        url: chat.url(kind),
        secret: chat.secret(kind),
        options: optionsAt(chat),
        group: name,
      });
      onTestFinished(() => removeChannel(t.db, name).then(() => undefined));
      const base = await edition('2026-03-10', fixtureModel());
      let refuse: number | null = 2;
      const adapterFor = (k: ChannelKind): ChannelAdapter => {
        const real = realAdapterFor(k);
        return {
          ...real,
          send: async (target, message, opts) => {
            if (message.part === refuse) throw new ChannelError('refused', { code: 'ETEST', permanent: true });
            return real.send(target, message, opts);
          },
        };
      };
      const run = () =>
        runChannels({ ...deps(), adapterFor }, { ...base, digest: longEdition(40), groups: [name], only: [name] });
      chat.clear();

      await run();
      let row = (await logOf(base.editionId))[name]!;
      expect(row).toMatchObject({ status: 'failed', partsSent: 1 });
      expect(row.parts).toBeGreaterThan(1);
      expect(chat.received(kind)).toHaveLength(1);

      await updateChannel(t.db, SECRET, name, {
        url: moved.url(kind),
        secret: moved.secret(kind),
        options: optionsAt(moved),
      });
      refuse = null;
      await resendChannels(t.db, { date: base.edition, names: [name] });
      expect(await run()).toMatchObject({ sent: 1, failed: 0 });
      row = (await logOf(base.editionId))[name]!;
      expect(row).toMatchObject({ status: 'sent', partsSent: row.parts });
      expect(chat.received(kind)).toHaveLength(1); // nothing more to the old destination
      const rest = moved.received(kind);
      expect(rest).toHaveLength(row.parts - 1);
      // Parts 2… of the kept rendering, in order, at the new destination.
      rest.forEach((m, i) => expect(m.text).toContain(`(${i + 2}/${row.parts})`));
      if (kind === 'telegram') for (const m of rest) expect(m.body.chat_id).toBe('-1002222222222');
    },
  );

  it('retries an outage, then marks the channel failed with the error in channel_log', async () => {
    chat.clear();
    chat.setOutage('webhook', '503');
    try {
      const input = await edition('2026-03-05', fixtureModel());
      const s = await runChannels(deps(), input);
      expect(s).toMatchObject({ failed: 1, sent: s.channels - 1 });
      expect(chat.requests('webhook')).toBe(3); // maxAttempts
      const row = (await logOf(input.editionId))['hook']!;
      expect(row).toMatchObject({ status: 'failed', replyCode: 503, partsSent: 0, attempts: 3 });
      expect(row.error).toMatch(/503/);
      expect(row.error).not.toContain(chat.token('webhook'));
      expect(row.history.map((h) => h.status)).toEqual(['retrying', 'retrying', 'failed']);

      // The platform is back: an operator's resend sends it once.
      chat.setOutage('webhook', false);
      expect(await resendChannels(t.db, { date: '2026-03-05' })).toEqual(['hook']);
      const again = await runChannels(deps(), input);
      expect(again).toMatchObject({ sent: 1, skipped: s.channels - 1 });
      expect(chat.received('webhook')).toHaveLength(1);
      expect((await logOf(input.editionId))['hook']).toMatchObject({ status: 'sent', resends: 1 });
    } finally {
      chat.setOutage('webhook', false);
    }
  });

  it("honours the platform's rate limit (Telegram 429 retry_after) and then sends", async () => {
    chat.clear();
    chat.setRateLimit('telegram', { perMinute: 1 });
    await addChannel(t.db, SECRET, {
      name: 'tg-long',
      kind: 'telegram',
      url: chat.url('telegram'),
      options: { chatId: chat.telegramChatId, maxItems: 24 },
      group: 'tg',
    });
    await updateChannel(t.db, SECRET, 'tg', { enabled: false }); // the same bot: one rate-limit window
    const input = { ...(await edition('2026-03-06', fixtureModel())), digest: longEdition(24) };
    // Each time the fake accepts a message its clock moves 58 s on: its minute window ends ~2 s later.
    const watch = setInterval(() => {
      skew = 58_000 * chat.received('telegram').length;
    }, 1);
    try {
      const s = await runChannels({ ...deps(), maxAttempts: 2 }, { ...input, groups: ['tg'] });
      expect(s).toMatchObject({ failed: 0 });
    } finally {
      clearInterval(watch);
      chat.setRateLimit('telegram', DOCUMENTED_LIMITS.telegram);
      await updateChannel(t.db, SECRET, 'tg', { enabled: true });
    }
    const row = (await logOf(input.editionId))['tg-long']!;
    expect(row.status).toBe('sent');
    expect(row.parts).toBeGreaterThan(1);
    const limited = (row.history as ChannelAttempt[]).filter((h) => h.reply_code === 429);
    expect(limited.length).toBeGreaterThan(0);
    // Each retry came no sooner than the platform asked.
    for (const h of limited) {
      const retryAfter = Number(
        /retry_after":(\d+)/.exec(h.reply ?? '')?.[1] ?? /retry in (\d+) ms/.exec(h.error ?? '')?.[1],
      );
      const next = (row.history as ChannelAttempt[]).find(
        (x) => x.part === h.part && Date.parse(x.at) > Date.parse(h.at),
      );
      expect(next).toBeDefined();
      const ms = retryAfter > 1000 ? retryAfter : retryAfter * 1000;
      expect(Date.parse(next!.at) - Date.parse(h.at)).toBeGreaterThanOrEqual(ms - 50);
    }
  });

  it('marks the stories an intraday alert pushed before the edition as alerted', async () => {
    const at = new Date('2026-03-07T00:00:00Z');
    const clusters = await t.db
      .insert(storyClusters)
      .values([1, 2, 3].map((i) => ({ title: `story ${i}`, firstSeenAt: at, lastSeenAt: at })))
      .returning({ id: storyClusters.id });
    const [rule] = await t.db.insert(alertRules).values({ name: 'watch' }).returning({ id: alertRules.id });
    const before = new Date(at.getTime() - 3_600_000);
    const after = new Date(at.getTime() + 3_600_000);
    await t.db.insert(alertLog).values([
      { ruleId: rule!.id, storyId: clusters[0]!.id, day: '2026-03-06', status: 'sent', createdAt: before },
      { ruleId: rule!.id, storyId: clusters[1]!.id, day: '2026-03-06', status: 'suppressed', createdAt: before },
      { ruleId: rule!.id, storyId: clusters[2]!.id, day: '2026-03-07', status: 'sent', createdAt: after },
    ]);
    const model = fixtureModel();
    model.generatedAt = at;
    model.top = model.top.slice(0, 4).map((e, i) => ({ ...e, clusterId: clusters[i]?.id ?? null }));
    const digest = await editionDigest(t.db, model);
    expect(digest.items.map((i) => i.alerted ?? false)).toEqual([true, false, false, false]);
  });
});
