/**
 * The console benchmark's data, written with set-based SQL straight into a migrated PostgreSQL database
 * (a few tens of seconds, not the pipeline's hours): 1,000 sources (some failing), 100,000 articles over 30
 * days in 60,000 stories, one extraction each (companies with tickers, sentiment, keywords), 30 delivered
 * editions of 30 items with their runs and stages, 10,000 recipients, a delivery row per edition and
 * recipient (300,000; some failed or uncertain), 100,000 LLM ledger rows and 2,000 audit rows. Titles and
 * names carry markup, as hostile feeds do.
 */
import pg from 'pg';

const COMPANIES = [
  ['贵州茅台', '600519.SH'],
  ['宁德时代', '300750.SZ'],
  ['腾讯控股', '0700.HK'],
  ['招商银行', '600036.SH'],
  ['比亚迪', '002594.SZ'],
  ['中国平安', '601318.SH'],
  ['美团', '3690.HK'],
  ['阿里巴巴', 'BABA'],
  ['隆基绿能', '601012.SH'],
  ['中芯国际', '688981.SH'],
];

/** Seeds the database at `url`; returns ids the page table needs. */
export async function seedConsole(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const companies = `(array[${COMPANIES.map(([n, t]) => `jsonb_build_object('name','${n}','ticker','${t}')`).join(',')}])`;
  try {
    await c.query('begin');
    await c.query(`
      insert into sources (key, name, kind, url, rules, enabled, last_fetch_at, last_success_at, consecutive_failures, last_error)
      select 'bench-' || i, '财经来源 ' || i || case when i % 50 = 0 then ' <b>&amp;</b>' else '' end,
        case when i % 10 = 0 then 'web' else 'rss' end, 'https://feeds' || (i % 97) || '.example.com/' || i || '.xml',
        case when i % 10 = 0 then '{"itemSelector":"ul li a"}'::jsonb else '{}'::jsonb end, i % 25 <> 0,
        now() - interval '1 hour', now() - (i % 5) * interval '1 day', case when i % 20 = 0 then 3 else 0 end,
        case when i % 20 = 0 then 'HTTP 503 <script>x</script>' end
      from generate_series(1, 1000) i`);
    await c.query(`
      insert into story_clusters (id, title, size, article_count, first_seen_at, last_seen_at)
      select i, '故事 ' || i, 1, 1, now() - i * interval '43 seconds', now() - i * interval '43 seconds'
      from generate_series(1, 60000) i`);
    await c.query(`select setval(pg_get_serial_sequence('story_clusters', 'id'), 60000)`);
    await c.query(`
      insert into articles (id, source_id, url, canonical_url, url_hash, title, summary, content, published_at,
        first_seen_at, effective_at, content_hash, simhash, band0, band1, band2, band3, cluster_id)
      select i, 1 + i % 1000, 'https://news.example.com/a/' || i, 'https://news.example.com/a/' || i, md5('u' || i),
        (array['央行','证监会','贵州茅台','宁德时代','腾讯控股','美联储','人民币','A股','港股','新能源'])[1 + i % 10]
          || (array['宣布降准0.5个百分点','发布季度业绩','股价大涨','遭遇监管问询','推出新产品','汇率波动加剧'])[1 + i % 6]
          || ' 第' || i || '号' || case when i % 1000 = 0 then ' <img src=x onerror=alert(1)>' else '' end,
        '摘要：' || repeat('市场分析与政策解读，', 6) || i,
        repeat('正文内容，关于金融市场与公司经营的详细报道。', 20),
        now() - i * interval '26 seconds', now() - i * interval '26 seconds', now() - i * interval '26 seconds',
        md5('c' || i), (random() * 9e18)::bigint, i % 65536, (i * 7) % 65536, (i * 13) % 65536, (i * 31) % 65536,
        1 + i % 60000
      from generate_series(1, 100000) i`);
    await c.query(`select setval(pg_get_serial_sequence('articles', 'id'), 100000)`);
    await c.query(`update story_clusters s set representative_id = s.id`);
    await c.query(`
      insert into extractions (article_id, provider, model, prompt_version, content_hash, result)
      select i, 'deepseek', 'deepseek-chat', 'v1', md5('c' || i), jsonb_build_object(
        'summary', '摘要 ' || i,
        'category', (array['macro','policy','market','company','industry','global','other'])[1 + i % 7],
        'event_type', '业绩', 'sentiment', (array['positive','neutral','negative'])[1 + i % 3],
        'sentiment_score', ((i % 21) - 10) / 10.0, 'importance', 1 + i % 5,
        'entities', jsonb_build_object('companies', jsonb_build_array(${companies}[1 + i % 10]),
          'people', '[]'::jsonb, 'institutions', jsonb_build_array('中国人民银行')),
        'keywords', jsonb_build_array((array['降准','业绩','监管','汇率','新能源','芯片','消费','地产'])[1 + i % 8], '市场'),
        'region', 'CN')
      from generate_series(1, 100000) i`);
    await c.query(`
      insert into editions (date, status, window_from, window_to, subject, item_count, created_at, composed_at, delivered_at)
      select (current_date - d), 'delivered', (current_date - d - 1)::timestamptz, (current_date - d)::timestamptz,
        '金融情报日报 ' || (current_date - d), 30, (current_date - d)::timestamptz,
        (current_date - d)::timestamptz + interval '10 minutes', (current_date - d)::timestamptz + interval '14 minutes'
      from generate_series(0, 29) d`);
    await c.query(`
      insert into runs (edition_id, trigger, status, started_at, finished_at, summary)
      select e.id, 'schedule', 'ok', e.created_at, e.delivered_at, '{}'::jsonb from editions e`);
    await c.query(`
      insert into run_stages (run_id, stage, status, started_at, finished_at, duration_ms, counts)
      select r.id, s, 'ok', r.started_at, r.finished_at, 60000, '{}'::jsonb
      from runs r, unnest(array['collect','dedup','extract','score','compose','deliver']) s`);
    await c.query(`
      insert into report_items (edition_id, article_id, cluster_id, section, rank, top, score, factors)
      select e.id, a, 1 + a % 60000, 'company', k, k <= 5, 1.0 / k, '{}'::jsonb
      from editions e, generate_series(1, 30) k, lateral (select (e.id * 1000 + k) as a) x`);
    await c.query(`
      insert into recipients (email, name, groups, enabled, unsubscribed_at)
      select 'r' || i || '@example.com', '收件人 ' || i,
        case when i % 3 = 0 then '["research"]'::jsonb else '["default"]'::jsonb end, i % 40 <> 0,
        case when i % 97 = 0 then now() - interval '3 days' end
      from generate_series(1, 10000) i`);
    await c.query(`
      insert into delivery_log (edition_id, recipient_id, email, status, attempts, transport, message_id, error,
        queued_at, sent_at, updated_at)
      select e.id, r.id, r.email,
        case when r.id % 500 = 0 then 'failed' when r.id % 777 = 0 then 'uncertain' else 'sent' end, 1, 'smtp',
        '<' || e.id || '.' || r.id || '@bench>', case when r.id % 500 = 0 then '550 mailbox unavailable' end,
        e.composed_at, e.delivered_at, e.delivered_at
      from editions e, recipients r`);
    await c.query(`
      insert into llm_usage (edition_id, article_id, provider, model, purpose, prompt_tokens, cached_tokens,
        completion_tokens, latency_ms, outcome, cost, currency, created_at)
      select (select id from editions order by date desc offset (i % 30) limit 1), i,
        case when i % 10 = 0 then 'qwen' else 'deepseek' end, 'deepseek-chat', 'extract', 900, 300, 200, 1500,
        case when i % 50 = 0 then 'error' else 'ok' end, 0.0021, 'CNY', now() - (i % 30) * interval '1 day'
      from generate_series(1, 100000) i`);
    await c.query(`
      insert into audit_log (at, actor, action, target, detail)
      select now() - i * interval '5 minutes', 'admin@example.com', 'source.edit', 'source:' || (i % 1000),
        jsonb_build_object('before', jsonb_build_object('name', 'x'), 'after', jsonb_build_object('name', 'y'))
      from generate_series(1, 2000) i`);
    await c.query('commit');
    await c.query('analyze');
    const one = async (q: string) => Object.values((await c.query(q)).rows[0] as object)[0] as number | string;
    return {
      runId: Number(await one('select max(id) from runs')),
      sourceId: Number(await one('select min(id) from sources')),
      clusterId: 1,
      ticker: COMPANIES[0]![1]!,
      date: String(await one(`select to_char(max(date), 'YYYY-MM-DD') from editions`)),
    };
  } catch (err) {
    await c.query('rollback').catch(() => {});
    throw err;
  } finally {
    await c.end();
  }
}
