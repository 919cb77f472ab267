import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from './index.ts';

const load = (env: Record<string, string | undefined>) => loadConfig(env, { envFile: null });

describe('loadConfig', () => {
  it('applies the seed defaults', () => {
    const c = load({});
    expect(c.timeZone).toBe('Asia/Shanghai');
    expect(c.report.topN).toBe(5);
    expect(c.crawl).toMatchObject({ concurrencyRss: 10, concurrencyWeb: 2 });
    expect(c.mail).toMatchObject({ batchLimit: 50, ratePerSec: 1 });
    expect(c.llm.order).toEqual(['deepseek', 'qwen']);
    expect(c.llm.providers[0]).toMatchObject({
      name: 'deepseek',
      baseUrl: 'https://api.deepseek.com/v1',
      model: 'deepseek-chat',
      apiKey: null,
    });
    expect(c.databaseUrl).toBeNull();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the operational alerts: lists trimmed, off disables the check', () => {
    expect(load({}).opsAlerts).toEqual({
      channels: [],
      mail: [],
      cron: '*/5 * * * *',
      sourceHours: 24,
      budgetRatio: 0.8,
    });
    const c = load({
      OPS_ALERT_CHANNELS: 'ops-wecom, 运维群',
      OPS_ALERT_MAIL: 'ops@example.com , oncall@example.com',
      OPS_ALERT_CRON: 'off',
      OPS_ALERT_SOURCE_HOURS: '6',
      OPS_ALERT_BUDGET_RATIO: '0.9',
    });
    expect(c.opsAlerts).toEqual({
      channels: ['ops-wecom', '运维群'],
      mail: ['ops@example.com', 'oncall@example.com'],
      cron: null,
      sourceHours: 6,
      budgetRatio: 0.9,
    });
  });

  it.each([
    { name: 'non-numeric REPORT_TOPN', env: { REPORT_TOPN: 'abc' }, variable: 'REPORT_TOPN', text: /integer.*"abc"/ },
    { name: 'zero REPORT_TOPN', env: { REPORT_TOPN: '0' }, variable: 'REPORT_TOPN', text: /≥ 1/ },
    { name: 'unknown time zone', env: { TZ: 'Mars/Olympus' }, variable: 'TZ', text: /IANA/ },
    { name: 'mysql DATABASE_URL', env: { DATABASE_URL: 'mysql://x@y/z' }, variable: 'DATABASE_URL', text: /postgres/ },
    { name: 'bad rate', env: { MAIL_RATE_LIMIT_PER_SEC: 'fast' }, variable: 'MAIL_RATE_LIMIT_PER_SEC', text: /number/ },
    { name: 'bad SMTP_PORT', env: { SMTP_PORT: '70000' }, variable: 'SMTP_PORT', text: /65535/ },
    { name: 'bad cut-off', env: { EDITION_CUTOFF: '6am' }, variable: 'EDITION_CUTOFF', text: /HH:MM/ },
    { name: 'production without JWT secret', env: { ENV: 'production' }, variable: 'JWT_SECRET_KEY', text: /required/ },
    {
      name: 'SCHEDULE_CRON out of range',
      env: { SCHEDULE_CRON: '61 6 * * *' },
      variable: 'SCHEDULE_CRON',
      text: /cron expression.*"61 6 \* \* \*"/,
    },
    {
      name: 'SCHEDULE_CRON of 4 fields',
      env: { SCHEDULE_CRON: '0 6 * *' },
      variable: 'SCHEDULE_CRON',
      text: /5 fields/,
    },
    {
      name: 'SCHEDULE_CRON in words',
      env: { SCHEDULE_CRON: 'every day at six' },
      variable: 'SCHEDULE_CRON',
      text: /cron expression/,
    },
    { name: 'bad OPS_ALERT_CRON', env: { OPS_ALERT_CRON: 'often' }, variable: 'OPS_ALERT_CRON', text: /cron|off/ },
    {
      name: 'bad OPS_ALERT_MAIL',
      env: { OPS_ALERT_MAIL: 'ops@x.cn,nobody' },
      variable: 'OPS_ALERT_MAIL',
      text: /e-mail/,
    },
    {
      name: 'bad OPS_ALERT_CHANNELS',
      env: { OPS_ALERT_CHANNELS: 'ops wecom' },
      variable: 'OPS_ALERT_CHANNELS',
      text: /channel names/,
    },
    {
      name: 'OPS_ALERT_BUDGET_RATIO > 1',
      env: { OPS_ALERT_BUDGET_RATIO: '1.5' },
      variable: 'OPS_ALERT_BUDGET_RATIO',
      text: /≤ 1/,
    },
    {
      name: 'zero OPS_ALERT_SOURCE_HOURS',
      env: { OPS_ALERT_SOURCE_HOURS: '0' },
      variable: 'OPS_ALERT_SOURCE_HOURS',
      text: /≥ 1/,
    },
    {
      name: 'extra provider without base URL',
      env: { LLM_PROVIDERS: 'deepseek,vllm' },
      variable: 'PROVIDER_VLLM_BASE_URL',
      text: /required/,
    },
  ])('rejects $name naming the variable', ({ env, variable, text }) => {
    let err: unknown;
    try {
      load(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as Error).message.startsWith(`${variable}: `)).toBe(true);
    expect((err as Error).message).toMatch(text);
    expect((err as Error).message).not.toContain('\n');
  });

  it('never echoes a secret value in an error', () => {
    expect(() => load({ DATABASE_URL: 'mysql://u:hunter2-secret@h/d' })).toThrow(ConfigError);
    try {
      load({ DATABASE_URL: 'mysql://u:hunter2-secret@h/d' });
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('reads NAME_FILE secrets and reports an unreadable one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'finrep-cfg-'));
    writeFileSync(path.join(dir, 'pass'), 's3cret-pass\n');
    expect(load({ SMTP_PASS_FILE: path.join(dir, 'pass') }).smtp.pass).toBe('s3cret-pass');
    expect(() => load({ SMTP_PASS_FILE: path.join(dir, 'missing') })).toThrow(
      /^SMTP_PASS_FILE: cannot read .*missing \(ENOENT\)$/,
    );
    expect(() => load({ SMTP_PASS: 'a', SMTP_PASS_FILE: path.join(dir, 'pass') })).toThrow(/both/);
  });

  it('lets the environment override .env, and .env override defaults', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'finrep-cfg-'));
    const file = path.join(dir, '.env');
    writeFileSync(file, 'REPORT_TOPN=7\nCRAWL_CONCURRENCY_WEB=3\n');
    const c = loadConfig({ REPORT_TOPN: '9' }, { envFile: file });
    expect(c.report.topN).toBe(9);
    expect(c.crawl.concurrencyWeb).toBe(3);
  });

  it.each([
    { name: 'the default', env: {}, cron: '0 6 * * *' },
    { name: 'weekdays only', env: { SCHEDULE_CRON: '30 5 * * 1-5' }, cron: '30 5 * * 1-5' },
    { name: 'six fields, seconds first', env: { SCHEDULE_CRON: '*/3 * * * * *' }, cron: '*/3 * * * * *' },
  ])('accepts SCHEDULE_CRON: $name', ({ env, cron }) => {
    expect(load(env).report.cron).toBe(cron);
  });

  it('configures an extra OpenAI-compatible provider in the chain', () => {
    const c = load({
      LLM_PROVIDERS: 'vllm,deepseek',
      PROVIDER_VLLM_BASE_URL: 'http://127.0.0.1:8001/v1',
      PROVIDER_VLLM_MODEL: 'qwen2.5-7b',
    });
    expect(c.llm.providers.map((p) => p.name)).toEqual(['vllm', 'deepseek']);
  });

  it('redacts every secret', () => {
    const c = load({
      PROVIDER_DEEPSEEK_API_KEY: 'sk-live-abc',
      SMTP_PASS: 'pw-123',
      JWT_SECRET_KEY: 'x'.repeat(32),
      DATABASE_URL: 'postgres://u:dbpw@h/d',
    });
    const text = JSON.stringify(redactedConfig(c));
    for (const s of ['sk-live-abc', 'pw-123', 'x'.repeat(32), 'dbpw']) expect(text).not.toContain(s);
  });
  describe('the database and operations settings', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'finrep-config-'));

    it.each([
      {
        name: 'host only: the postgres image defaults',
        env: { POSTGRES_HOST: 'db' },
        url: 'postgresql://postgres@db:5432/postgres',
      },
      {
        name: 'every part, the password URL-encoded',
        env: {
          POSTGRES_HOST: 'db',
          POSTGRES_PORT: '6543',
          POSTGRES_USER: 'fin rep',
          POSTGRES_DB: 'finrep',
          POSTGRES_PASSWORD: 'p@ss:w/rd#?%',
        },
        url: 'postgresql://fin%20rep:p%40ss%3Aw%2Frd%23%3F%25@db:6543/finrep',
      },
      {
        name: 'DATABASE_URL wins over POSTGRES_*',
        env: { DATABASE_URL: 'postgres://a@b/c', POSTGRES_HOST: 'db', POSTGRES_PASSWORD: 'x' },
        url: 'postgres://a@b/c',
      },
      { name: 'POSTGRES_* without a host: embedded', env: { POSTGRES_USER: 'u', POSTGRES_PASSWORD: 'x' }, url: null },
    ])('builds DATABASE_URL: $name', ({ env, url }) => {
      const c = load(env);
      expect(c.databaseUrl).toBe(url);
      if (url?.startsWith('postgresql:')) expect(() => new URL(url)).not.toThrow();
    });

    it('reads the password from POSTGRES_PASSWORD_FILE and never shows it', () => {
      const file = path.join(dir, 'pgpass');
      writeFileSync(file, 's3cret/&=\n');
      const c = load({ POSTGRES_HOST: 'db', POSTGRES_USER: 'finrep', POSTGRES_PASSWORD_FILE: file });
      expect(decodeURIComponent(new URL(c.databaseUrl!).password)).toBe('s3cret/&=');
      expect(JSON.stringify(redactedConfig(c))).not.toContain('s3cret');
      expect(() => load({ POSTGRES_HOST: 'db', POSTGRES_PASSWORD: 'a', POSTGRES_PASSWORD_FILE: file })).toThrow(
        /POSTGRES_PASSWORD_FILE: both/,
      );
    });

    it('has the documented defaults', () => {
      const c = load({ FINREP_DATA_DIR: dir });
      expect(c.databasePoolSize).toBe(10);
      expect(c.ops).toEqual({
        backupDir: path.join(dir, 'backups'),
        backupSchedule: '0 7 * * *',
        backupRetentionDays: 30,
        retentionSchedule: '30 7 * * *',
        deliveryRetentionDays: 90,
        articleRetentionDays: 180,
      });
    });

    it('takes the settings, and "off" turns a schedule off', () => {
      const c = load({
        DATABASE_POOL_SIZE: '25',
        BACKUP_DIR: path.join(dir, 'b'),
        BACKUP_SCHEDULE: 'off',
        BACKUP_RETENTION_DAYS: '7',
        RETENTION_SCHEDULE: '15 3 * * 0',
        RETENTION_DELIVERY_DAYS: '30',
        RETENTION_ARTICLE_DAYS: '365',
      });
      expect(c.databasePoolSize).toBe(25);
      expect(c.ops).toEqual({
        backupDir: path.join(dir, 'b'),
        backupSchedule: null,
        backupRetentionDays: 7,
        retentionSchedule: '15 3 * * 0',
        deliveryRetentionDays: 30,
        articleRetentionDays: 365,
      });
    });

    it.each([
      { env: { DATABASE_POOL_SIZE: '0' }, variable: 'DATABASE_POOL_SIZE', text: /≥ 1/ },
      { env: { POSTGRES_PORT: 'x' }, variable: 'POSTGRES_PORT', text: /integer/ },
      { env: { BACKUP_SCHEDULE: 'daily' }, variable: 'BACKUP_SCHEDULE', text: /cron expression.*or off/ },
      { env: { RETENTION_ARTICLE_DAYS: '0' }, variable: 'RETENTION_ARTICLE_DAYS', text: /≥ 1/ },
    ])('rejects a bad $variable', ({ env, variable, text }) => {
      expect(() => load(env)).toThrow(ConfigError);
      expect(() => load(env)).toThrow(new RegExp(`^${variable}: `));
      expect(() => load(env)).toThrow(text);
    });
  });
});
