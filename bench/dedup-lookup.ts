/**
 * Near-duplicate lookup at scale: a fresh PostgreSQL database with the real schema (migrations), N stored
 * articles (default 1,000,000: synthetic news spread over a year, plus the five daily template reports of
 * every day), their dedup keys, then probes timed through the stage's own code — `prefetchLookup` (a batch's
 * key query, and the texts of band-only copies if any), `BatchLookup.candidates` (a newcomer's candidates, from memory) and `closestStory`
 * (fingerprints of the candidates, `isNearDuplicate`) — in batches of `LOOKUP_BATCH` as a morning's run, and
 * one newcomer at a time as a run with a single new article. Probes: reposts of stored articles (each must
 * find its original), reposts of template reports, and new articles. Two shapes of the same million articles:
 *
 * - **in service** (the goal): the key table as the stage's purge leaves it (the keys of the last window + 7
 *   days, `purgeDedupKeys`), probes of the newest day — what a morning's dedup run does after a year;
 * - **unpurged, over the year**: every article's keys kept (24 M rows), probes at random times of the year —
 *   the index at its worst, cold pages included.
 *
 * Options: --rows N, --probes N (per measured pass; the single-newcomer pass takes a quarter), --keep (leave the database),
 * --no-write (neither docs/dedup.md nor the result file), FINREP_BENCH_PG_URL (admin
 * connection, default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { collectGarbage, tunePipelineGc } from '../src/lib/gc.ts';
import { dedupIndexQ } from '../src/db/queries/index.ts';
import type { DedupCandidate } from '../src/db/queries/dedup-index.ts';
import { keySegments, prefetchLookup } from '../src/dedup/lookup.ts';
import { fingerprint } from '../src/dedup/fingerprint.ts';
import type { Fingerprint } from '../src/dedup/fingerprint.ts';
import { dedupKeys } from '../src/dedup/keys.ts';
import { articleText, closestStory } from '../src/dedup/run.ts';
import { bands, toSigned64 } from '../src/dedup/simhash.ts';
import { KEY_RETENTION_MARGIN_MS, LOOKUP_BATCH } from '../src/dedup/run.ts';
import { EDIT_KINDS, applyEdit } from '../src/dedup/testdata/neardup/edits.ts';
import type { EditKind } from '../src/dedup/testdata/neardup/edits.ts';
import { prng } from '../src/dedup/testdata/neardup/prng.ts';
import { templateReports } from '../src/dedup/testdata/neardup/templates.ts';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { updateDocBlock } from './lib/doc-block.ts';
import { machine, quantile, round, say } from './lib/results.ts';
import { syntheticArticle, vocabulary } from './lib/synthetic-news.ts';

const DAY = 86_400_000;
const WINDOW = 72 * 3_600_000;
const START = Date.parse('2025-01-01T00:00:00Z');
const BATCH = 2000;

export interface LookupOptions {
  rows: number;
  probes: number;
  keep: boolean;
}

interface Stored {
  title: string;
  text: string;
  at: Date;
  id: number;
  clusterId: number;
}

const INSERT = `
insert into articles (id, source_id, url, canonical_url, url_hash, title, content, effective_at, published_at, first_seen_at, content_hash,
  simhash, band0, band1, band2, band3, dedup_numbers, cluster_id)
select u.cid, $1, u.url, u.url, u.h, u.title, u.content, u.at, u.at, u.at, u.h, u.sim, u.b0, u.b1, u.b2, u.b3, u.nums::text[], u.cid
from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::int8[], $8::int[], $9::int[], $10::int[], $11::int[],
  $12::text[], $13::int8[]) as u(url, h, title, content, at, sim, b0, b1, b2, b3, nums, cid)`;

function arrayLiteral(values: readonly (string | number)[]): string {
  return `{${values.map((v) => (typeof v === 'number' ? String(v) : `"${v.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}

async function load(
  client: pg.Client,
  opts: LookupOptions,
): Promise<{ keyRows: number; ms: number; indexMs: number; newest: Date }> {
  const t0 = performance.now();
  const {
    rows: [source],
  } = await client.query<{ id: number }>(
    `insert into sources (key, name, kind, url) values ('bench', 'bench', 'rss', 'https://bench.example/feed') returning id`,
  );
  // Load without secondary indexes and key constraints, then rebuild them from their migration definitions.
  const { rows: cons } = await client.query<{ tbl: string; name: string; def: string }>(`
    select conrelid::regclass::text as tbl, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
    where conrelid = 'article_dedup_keys'::regclass order by contype = 'f'`);
  for (const c of [...cons].reverse()) await client.query(`alter table ${c.tbl} drop constraint ${c.name}`);
  const { rows: defs } = await client.query<{ indexname: string; indexdef: string }>(`
    select indexname, indexdef from pg_indexes where tablename in ('articles', 'article_dedup_keys') and indexname <> 'articles_pkey'`);
  for (const d of defs) await client.query(`drop index ${d.indexname}`);
  const days = Math.ceil(opts.rows / 2740); // ~2,740 articles a day, like a busy aggregator
  const dates = Array.from({ length: days }, (_, i) => new Date(START + i * DAY).toISOString().slice(0, 10));
  const templates = templateReports(dates);
  const total = opts.rows;
  await client.query(
    `insert into story_clusters (title, first_seen_at, last_seen_at) select 'bench', now(), now() from generate_series(1, ${total})`,
  );

  const vocab = vocabulary();
  const rand = prng(42);
  let next = 0;
  let templateIndex = 0;
  const keyCol: number[] = [];
  const keyAt: string[] = [];
  const keyArticle: number[] = [];
  let keyRows = 0;
  while (next < total) {
    const cols: unknown[][] = Array.from({ length: 12 }, () => []);
    for (let k = 0; k < BATCH && next < total; k++, next++) {
      // One row in 550 is a template report (five a day), the rest synthetic news, in time order.
      const at = new Date(START + (next / total) * days * DAY + Math.floor(rand() * 600_000));
      const tpl = next % 550 === 0 && templateIndex < templates.length ? templates[templateIndex++]! : null;
      const doc = tpl ? { title: tpl.title, text: tpl.paragraphs.join('\n\n') } : syntheticArticle(vocab, rand);
      const fp = fingerprint(doc.title, doc.text);
      const [b0, b1, b2, b3] = bands(fp.simhash);
      const id = next + 1;
      const values = [
        `https://bench.example/a/${id}`,
        `h${id}`,
        doc.title,
        doc.text,
        at.toISOString(),
        toSigned64(fp.simhash).toString(),
        b0,
        b1,
        b2,
        b3,
        arrayLiteral([...fp.numbers].sort()),
        id,
      ];
      values.forEach((v, i) => cols[i]!.push(v));
      for (const key of dedupKeys(fp)) {
        keyCol.push(key);
        keyAt.push(values[4] as string);
        keyArticle.push(id);
      }
    }
    await client.query(INSERT, [source!.id, ...cols]);
    await client.query(
      'insert into article_dedup_keys (key, effective_at, article_id) select * from unnest($1::int[], $2::timestamptz[], $3::int8[])',
      [keyCol, keyAt, keyArticle],
    );
    keyRows += keyCol.length;
    keyCol.length = 0;
    keyAt.length = 0;
    keyArticle.length = 0;
    if (next % 100_000 < BATCH)
      say(`  loaded ${next.toLocaleString('en-US')} rows (${round((performance.now() - t0) / 1000, 0)} s)`);
  }
  const loadedMs = performance.now() - t0;
  const i0 = performance.now();
  for (const d of defs) await client.query(d.indexdef);
  for (const c of cons) await client.query(`alter table ${c.tbl} add constraint ${c.name} ${c.def}`);
  await client.query('vacuum analyze articles');
  await client.query('vacuum analyze article_dedup_keys');
  // Vacuumed too (not only analysed): otherwise autovacuum takes on the million fresh rows a minute later,
  // in the middle of the probes.
  await client.query('vacuum analyze story_clusters');
  // The bulk load left gigabytes of dirty buffers: without a checkpoint now, the checkpointer writes them
  // out during the probes (spread over checkpoint_completion_target) and every query's tail measures that
  // disk traffic, not the lookup. A database in service is not digesting a 3 GB load.
  await client.query('checkpoint');
  return { keyRows, ms: loadedMs, indexMs: performance.now() - i0, newest: new Date(START + days * DAY) };
}

type Probe = {
  kind: 'repost' | 'template-repost' | 'new';
  edit?: EditKind;
  title: string;
  text: string;
  at: Date;
  expected: number | null;
};
type Prepared = Probe & { fp: Fingerprint };
type Db = Parameters<typeof dedupIndexQ.findKeyedArticles>[0];

const isTemplate = (title: string) =>
  title.includes('收评') || title.includes('逆回购') || title.includes('中间价') || title.includes('两融余额');

/** Probes alternating reposts of `sources` (edited, up to 36 h later) and new articles at `newAt()`. */
function makeProbes(n: number, sources: Stored[], rand: () => number, newAt: (src: Stored) => Date): Prepared[] {
  const vocab = vocabulary();
  const probes: Probe[] = [];
  for (let i = 0; i < n; i++) {
    const src = sources[Math.floor(i / 2) % sources.length]!;
    if (i % 2 === 0) {
      const at = new Date(src.at.getTime() + Math.floor(rand() * 36 * 3_600_000));
      const edit = EDIT_KINDS[Math.floor(rand() * EDIT_KINDS.length)]!;
      const doc = applyEdit(edit, { title: src.title, paragraphs: src.text.split('\n\n') }, rand, {
        day: '1月1日',
        title: src.title,
      });
      probes.push({
        kind: isTemplate(src.title) ? 'template-repost' : 'repost',
        edit,
        title: doc.title,
        text: doc.paragraphs.join('\n\n'),
        at,
        expected: src.clusterId,
      });
    } else {
      probes.push({ kind: 'new', ...syntheticArticle(vocab, rand), at: newAt(src), expected: null });
    }
  }
  return probes.map((p) => ({ ...p, fp: fingerprint(p.title, p.text) }));
}

/** New articles (no repost among them) at `at()`: a first pass whose timings are reported as the cold start. */
function warmProbes(n: number, seed: number, at: () => Date): Prepared[] {
  const rand = prng(seed);
  const vocab = vocabulary();
  return Array.from({ length: n }, () => {
    const doc = syntheticArticle(vocab, rand);
    return { ...doc, kind: 'new' as const, expected: null, at: at(), fp: fingerprint(doc.title, doc.text) };
  });
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const st = (xs: number[]) => {
  const s = sorted(xs);
  return {
    p50: round(quantile(s, 0.5)),
    p90: round(quantile(s, 0.9)),
    p99: round(quantile(s, 0.99)),
    max: round(s[s.length - 1]!),
  };
};
type Stats = ReturnType<typeof st>;

interface ShapeResult {
  key_rows: number;
  probes: number;
  batch_size: number;
  /** Per newcomer, in batches: its share of the batch's queries + its candidates from memory + the decision. */
  lookup_plus_decision_ms: Stats;
  cold_start_lookup_plus_decision_ms: Stats;
  /** Per newcomer, in batches: its share of the batch's queries + its candidates from memory (+ indexing it). */
  lookup_ms: Stats;
  from_memory_ms: Stats;
  decision_ms: Stats;
  candidates: Stats;
  /** Per batch: its queries (`prefetchLookup`), the stored articles found, how many with their text, the texts loaded after. */
  batch_queries_ms: number[];
  batch_stored_found: number[];
  batch_with_text: number[];
  batch_texts_loaded: number[];
  /** One newcomer per batch (a run with a single new article): the same code, one round trip a newcomer (two when a band-only copy needs its text). */
  single: { probes: number; lookup_ms: Stats; lookup_plus_decision_ms: Stats };
  server_plan_plus_execution_ms: Stats;
  reference_select_1_ms: Stats;
  correct: { reposts: string; template_reposts: string; new_articles: string };
  other_workers_active: string;
  plan: string[];
  gc: { pauses: number; probes_during_a_pause: number; probes_over_2_ms: number; of_which_during_a_pause: number };
  blocks_read: number;
}

/** One shape: a cold-start pass, the measured pass in batches, a pass of single newcomers, and the references. */
async function measureShape(
  label: string,
  database: { db: Db },
  client: pg.Client,
  warm: Prepared[],
  probes: Prepared[],
): Promise<ShapeResult> {
  const keyRows = (await client.query<{ n: number }>('select count(*)::int as n from article_dedup_keys')).rows[0]!.n;
  say(`  ${label}: ${keyRows.toLocaleString('en-US')} key rows; settled: ${await settle()}`);
  // A fresh process's first lookups also measure V8 compiling the stage's code and PostgreSQL warming its
  // caches (and this connection faulting in shared buffers); a worker deduplicating an edition has done that
  // long before. So: a first pass of other probes, timed and reported as the cold start, then the measured pass.
  const cold = await pass(database.db, warm, LOOKUP_BATCH);
  const background = async () =>
    (
      await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where backend_type in ('autovacuum worker', 'parallel worker') or (state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend' and datname = current_database() and query not like '%finrep_dedup%')`,
      )
    ).rows[0]!.n;
  const busyBefore = await background();
  // Pages the pass had to read into shared buffers (from the OS page cache or the disk): PostgreSQL publishes a
  // backend's counters within a second.
  const blocksRead = async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    return Number(
      (
        await client.query<{
          n: string;
        }>(`select sum(heap_blks_read + idx_blks_read + coalesce(toast_blks_read, 0) + coalesce(tidx_blks_read, 0))::text as n
      from pg_statio_user_tables where relname in ('articles', 'article_dedup_keys')`)
      ).rows[0]!.n,
    );
  };
  const read0 = await blocksRead();
  const batched = await pass(database.db, probes, LOOKUP_BATCH);
  const blocks_read = (await blocksRead()) - read0;
  const busyAfter = await background();
  if (busyBefore + busyAfter > 0)
    say(
      `  note: ${busyBefore} / ${busyAfter} other PostgreSQL workers (autovacuum …) were active before / after the measured pass`,
    );
  // The same probes (a quarter of them) one at a time: what a run with a single new article costs.
  const single = await pass(database.db, probes.slice(0, Math.ceil(probes.length / 4)), 1);
  // Two references: what a trivial query costs through the same driver on this machine right now, and what
  // PostgreSQL itself spends on a batch's key query (EXPLAIN ANALYZE).
  const trivial: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    await database.db.execute(sql`select 1`);
    trivial.push(performance.now() - t0);
  }
  const server: number[] = [];
  let plan: string[] = [];
  for (let i = 0; i < probes.length; i += LOOKUP_BATCH) {
    plan = await dedupIndexQ.explainKeyedArticles(database.db, batchQuery(probes.slice(i, i + LOOKUP_BATCH)), {
      analyze: true,
    });
    const ms = (line: string | undefined) => Number(/([\d.]+) ms/.exec(line ?? '')?.[1] ?? Number.NaN);
    server.push(
      ms(plan.find((l) => l.startsWith('Planning Time'))) + ms(plan.find((l) => l.startsWith('Execution Time'))),
    );
  }
  const { found, count, gc } = batched;
  const total = st(batched.timings);
  say(
    `  ${label}: lookup + decision per newcomer, in batches of ${LOOKUP_BATCH}: p50 ${total.p50} ms, p99 ${total.p99} ms, max ${total.max} ms (goal p99 ≤ 2 ms); cold start p50 ${st(cold.timings).p50} ms, p99 ${st(cold.timings).p99} ms`,
  );
  say(
    `    lookup alone (share of the batch's queries + from memory) p50 ${st(batched.lookups).p50} ms, p99 ${st(batched.lookups).p99} ms; decision alone p99 ${st(batched.decisions).p99} ms; candidates per newcomer p50 ${st(batched.candidates).p50}, p99 ${st(batched.candidates).p99}, max ${st(batched.candidates).max}`,
  );
  say(
    `    a batch's queries: ${batched.batches.map((b) => `${round(b.ms)} ms (${b.stored} stored articles found, ${b.withText} with their text, ${b.texts} texts loaded after)`).join('; ')}; PostgreSQL's own time on the key query ${server.map((x) => round(x)).join(', ')} ms`,
  );
  say(
    `    single newcomers (${single.timings.length}): lookup p50 ${st(single.lookups).p50} ms, p99 ${st(single.lookups).p99} ms; lookup + decision p99 ${st(single.timings).p99} ms`,
  );
  say(`    for reference: 'select 1' through the same driver p50 ${st(trivial).p50} ms, p99 ${st(trivial).p99} ms`);
  say(`    ${blocks_read} pages read into shared buffers during the batched pass`);
  say(
    `    V8 paused ${gc.pauses} times during the batched pass, in ${gc.probes_during_a_pause} newcomers; ${gc.probes_over_2_ms} newcomers took over 2 ms, ${gc.of_which_during_a_pause} of them during a pause`,
  );
  say(
    `    reposts joined their original: ${found.repost}/${count.repost}; template reposts: ${found['template-repost']}/${count['template-repost']}; new articles left alone: ${found.new}/${count.new}`,
  );
  const singleCorrect = single.found.repost + single.found['template-repost'] + single.found.new;
  if (singleCorrect !== single.timings.length)
    say(`    note: single newcomers decided right: ${singleCorrect}/${single.timings.length}`);
  return {
    key_rows: keyRows,
    probes: probes.length,
    batch_size: LOOKUP_BATCH,
    lookup_plus_decision_ms: total,
    cold_start_lookup_plus_decision_ms: st(cold.timings),
    lookup_ms: st(batched.lookups),
    from_memory_ms: st(batched.fromMemory),
    decision_ms: st(batched.decisions),
    candidates: st(batched.candidates),
    batch_queries_ms: batched.batches.map((b) => round(b.ms)),
    batch_stored_found: batched.batches.map((b) => b.stored),
    batch_with_text: batched.batches.map((b) => b.withText),
    batch_texts_loaded: batched.batches.map((b) => b.texts),
    single: {
      probes: single.timings.length,
      lookup_ms: st(single.lookups),
      lookup_plus_decision_ms: st(single.timings),
    },
    server_plan_plus_execution_ms: st(server),
    reference_select_1_ms: st(trivial),
    correct: {
      reposts: `${found.repost}/${count.repost}`,
      template_reposts: `${found['template-repost']}/${count['template-repost']}`,
      new_articles: `${found.new}/${count.new}`,
    },
    other_workers_active: `${busyBefore} / ${busyAfter}`,
    gc,
    blocks_read,
    // The batch's keys are inlined in the plan: ~28,000 of them.
    plan: plan.map((l) => l.replace(/'\{[^}]{200,}\}'/g, (a) => `'{…${a.split(',').length} keys}'`)),
  };
}

/**
 * Leaves the key table as the stage's purge does after a run whose oldest article is the newest stored one:
 * the keys of articles dated within window + margin before it (`purgeDedupKeys`, which deletes the rest 10,000
 * articles at a time — done here in one statement). Vacuumed and checkpointed like the load.
 */
async function purgeLikeTheStage(client: pg.Client, newest: Date): Promise<void> {
  const cutoff = new Date(newest.getTime() - WINDOW - KEY_RETENTION_MARGIN_MS);
  await client.query('begin');
  await client.query(
    'create temporary table kept on commit drop as select k.* from article_dedup_keys k join articles a on a.id = k.article_id where a.effective_at >= $1',
    [cutoff],
  );
  await client.query('truncate article_dedup_keys');
  await client.query('insert into article_dedup_keys select * from kept');
  await client.query('commit');
  await client.query('vacuum analyze article_dedup_keys');
  await client.query('checkpoint');
}

function table(r: ShapeResult): string {
  const row = (name: string, x: Stats, bold = false) =>
    `| ${name} | ${bold ? `**${x.p50} ms**` : `${x.p50} ms`} | ${x.p90} ms | ${bold ? `**${x.p99} ms**` : `${x.p99} ms`} | ${x.max} ms |`;
  return [
    '| per newcomer | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|',
    row(
      `lookup: its share of the batch's queries + its candidates from memory (batches of ${r.batch_size})`,
      r.lookup_ms,
      true,
    ),
    row('… of which from memory', r.from_memory_ms),
    row("decision (candidates' fingerprints + rules)", r.decision_ms),
    row('lookup + decision', r.lookup_plus_decision_ms),
    row('lookup + decision, cold start (the first pass of a fresh process)', r.cold_start_lookup_plus_decision_ms),
    row(
      `lookup, one newcomer per batch (a run with a single new article; ${r.single.probes} newcomers)`,
      r.single.lookup_ms,
    ),
    row('reference: `select 1` through the same driver', r.reference_select_1_ms),
  ].join('\n');
}

function batches(r: ShapeResult): string {
  return r.batch_queries_ms
    .map(
      (ms, i) =>
        `${ms} ms (${r.batch_stored_found[i]!.toLocaleString('en-US')} stored articles found, ${r.batch_with_text[i]} with their text, ${r.batch_texts_loaded[i]} texts loaded after)`,
    )
    .join('; ');
}

export async function run(args: string[]): Promise<object> {
  const opts: LookupOptions = {
    rows: Number(args[args.indexOf('--rows') + 1] ?? '') || 1_000_000,
    probes: Number(args[args.indexOf('--probes') + 1] ?? '') || 2000,
    keep: args.includes('--keep'),
  };
  const write = !args.includes('--no-write');
  const adminUrl = process.env.FINREP_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `finrep_bench_lookup_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  say(
    `dedup-lookup: ${opts.rows.toLocaleString('en-US')} rows into a fresh PostgreSQL database ${name}, ${opts.probes} probes per shape`,
  );
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: '/tmp' }); // applies the migrations
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const rand = prng(7);
    const days = Math.ceil(opts.rows / 2740);
    const perDay = opts.rows / days;
    const templateRows = Math.floor((opts.rows - 1) / 550) + 1;
    const reposts = Math.ceil(opts.probes / 2);
    // The stored articles that probes repost, a fifth of them template reports: over the whole year for the
    // unpurged shape, from the last three days for the one in service.
    const yearly = new Set<number>();
    for (let pick = 0; yearly.size < Math.min(reposts, opts.rows); pick++) {
      yearly.add(pick % 5 === 0 ? 550 * Math.floor(rand() * templateRows) + 1 : 1 + Math.floor(rand() * opts.rows));
    }
    const recent = new Set<number>();
    const firstRecent = Math.max(1, Math.floor(opts.rows - 3 * perDay));
    const recentTemplates = Math.floor((opts.rows - firstRecent) / 550);
    for (let pick = 0; recent.size < Math.min(reposts, opts.rows - firstRecent); pick++) {
      const template =
        pick % 5 === 0 && recentTemplates > 0 ? 550 * (templateRows - 1 - Math.floor(rand() * recentTemplates)) + 1 : 0;
      recent.add(template > 0 ? template : firstRecent + Math.floor(rand() * (opts.rows - firstRecent)) + 1);
    }
    const loaded = await load(client, opts);
    say(`  loaded in ${round(loaded.ms / 1000, 0)} s, indexes built in ${round(loaded.indexMs / 1000, 0)} s`);
    const sizes = async () =>
      (
        await client.query<{ name: string; bytes: string }>(`
      select c.relname as name, pg_relation_size(c.oid)::text as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and (c.relname like 'articles%' or c.relname like 'article_dedup_keys%') order by c.relname`)
      ).rows;
    const sizesUnpurged = await sizes();

    // Each shape is probed by a fresh process (`probeShape`), as a worker's dedup stage would be: not by this
    // one, whose heap and allocator still carry the load of a million rows.
    const unpurged = await probeInChild({
      url: url.toString(),
      shape: 'unpurged',
      ids: [...yearly],
      probes: opts.probes,
      days,
      newest: loaded.newest.getTime(),
    });
    await purgeLikeTheStage(client, loaded.newest);
    const sizesPurged = await sizes();
    const inService = await probeInChild({
      url: url.toString(),
      shape: 'in-service',
      ids: [...recent],
      probes: opts.probes,
      days,
      newest: loaded.newest.getTime(),
    });

    const m = machine();
    const mb = (rows: { name: string; bytes: string }[], names: string[]) =>
      Math.round(
        rows
          .filter((r) => names.some((n) => r.name === n || r.name.startsWith(`${n}_`)))
          .reduce((n, r) => n + Number(r.bytes), 0) /
          2 ** 20,
      );
    const correct = (r: ShapeResult) =>
      `reposts ${r.correct.reposts}, template reposts ${r.correct.template_reposts}, new articles left alone ${r.correct.new_articles}`;
    if (write)
      updateDocBlock(
        path.resolve(import.meta.dirname, '../docs/dedup.md'),
        'dedup-lookup',
        `
\`npm run bench -- dedup-lookup\` (${m.at.slice(0, 10)}, PostgreSQL on the same ${m.cpus}-vCPU machine, load average ${m.load_average.join(' / ')}):
${opts.rows.toLocaleString('en-US')} articles over ${days} days in a fresh database with the real schema (synthetic news with realistic
figures plus five daily template reports), each with its keys; ${opts.probes.toLocaleString('en-US')} newcomers per shape through the stage's
code in batches of ${LOOKUP_BATCH} (\`prefetchLookup\`: the batch's key query, with the texts of the articles sharing an anchor or a number pair, and the texts of band-only copies if any; \`BatchLookup.candidates\`: each newcomer's
candidates from memory; \`closestStory\`), half of them reposts of stored articles, after a first pass of 1,000
other newcomers (new articles) that is reported as the cold start; then a quarter of them again one newcomer per
batch. A newcomer's lookup is its share of its batch's queries plus its candidates from memory. Articles:
${mb(sizesUnpurged, ['articles'])} MB with their indexes.

**In service** — the key table as the stage's purge leaves it (the last window + 7 days: ${inService.key_rows.toLocaleString('en-US')} rows,
${mb(sizesPurged, ['article_dedup_keys'])} MB with its indexes), newcomers of the newest day, as a morning's run after a year of service:

${table(inService)}

A batch's queries: ${batches(inService)}. Candidates per newcomer p50 ${inService.candidates.p50}, p99 ${inService.candidates.p99}; ${correct(inService)}.

**Unpurged, over the year** — every article's keys kept (${unpurged.key_rows.toLocaleString('en-US')} rows, ${mb(sizesUnpurged, ['article_dedup_keys'])} MB with its
indexes), newcomers at random times of the year (a batch's key query reads some 60 segments of up to 12 days, not the year), so most index pages they need are cold:

${table(unpurged)}

A batch's queries: ${batches(unpurged)}. Candidates per newcomer p50 ${unpurged.candidates.p50}, p99 ${unpurged.candidates.p99}; ${correct(unpurged)}.
Load ${round(loaded.ms / 1000, 0)} s, index build ${round(loaded.indexMs / 1000, 0)} s. Goal: p99 ≤ 2 ms.

Reading it: PostgreSQL's own time on a batch's key query (EXPLAIN ANALYZE, planning + execution) is p50
${inService.server_plan_plus_execution_ms.p50} ms in service and ${unpurged.server_plan_plus_execution_ms.p50} ms unpurged; in service the batched pass read ${inService.blocks_read} pages into shared buffers
(unpurged: ${unpurged.blocks_read}). One newcomer per batch pays a round trip of its own (two when a band-only copy needs its
text), which is where the tail of a per-article lookup lies on this 2-vCPU
virtual machine (\`select 1\` through the same driver, right after each pass: p99 ${inService.reference_select_1_ms.p99} ms and
${unpurged.reference_select_1_ms.p99} ms, max ${inService.reference_select_1_ms.max} ms and ${unpurged.reference_select_1_ms.max} ms); in batches, a newcomer's share of them is small. Of
the newcomers over 2 ms in batches (${inService.gc.probes_over_2_ms} in service, ${unpurged.gc.probes_over_2_ms} unpurged), V8 was collecting garbage during ${inService.gc.of_which_during_a_pause} and ${unpurged.gc.of_which_during_a_pause}.
`,
      );
    return {
      rows: opts.rows,
      probes_per_shape: opts.probes,
      load_seconds: round(loaded.ms / 1000, 1),
      index_build_seconds: round(loaded.indexMs / 1000, 1),
      in_service: inService,
      unpurged_over_the_year: unpurged,
      relation_bytes_unpurged: Object.fromEntries(sizesUnpurged.map((r) => [r.name, Number(r.bytes)])),
      relation_bytes_in_service: Object.fromEntries(sizesPurged.map((r) => [r.name, Number(r.bytes)])),
    };
  } finally {
    await client.end();
    await database.close();
    if (!opts.keep) await admin.query(`drop database if exists ${name} with (force)`);
    else say(`  kept database ${name}`);
    await admin.end();
  }
}

/**
 * Waits (up to two minutes) until the kernel has written out what the load left dirty in the page cache
 * (with 24 GB of RAM, Linux starts writing 3 GB of fresh table and index files only once they are 30 s
 * old — in the middle of the probes otherwise) and the load average has come down; says what it saw.
 */
async function settle(): Promise<string> {
  const t0 = performance.now();
  const dirtyMb = () => {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return Math.round((kb('Dirty') + kb('Writeback')) / 1024);
  };
  const load = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  execFileSync('sync');
  while (performance.now() - t0 < 120_000 && (dirtyMb() > 16 || load() > 1.5))
    await new Promise((r) => setTimeout(r, 1000));
  return `${round((performance.now() - t0) / 1000, 0)} s, ${dirtyMb()} MB dirty, load ${load()}`;
}

/** One timed pass over probes through the stage's code, oldest first, `batchSize` newcomers per lookup, as `runDedup` does. */
async function pass(db: Db, unordered: Prepared[], batchSize: number) {
  const probes = [...unordered].sort((a, b) => a.at.getTime() - b.at.getTime()); // oldest first, as the stage
  const timings: number[] = [];
  const lookups: number[] = [];
  const fromMemory: number[] = [];
  const decisions: number[] = [];
  const candidates: number[] = [];
  const batchesDone: { ms: number; stored: number; withText: number; texts: number }[] = [];
  const found = { repost: 0, 'template-repost': 0, new: 0 };
  const count = { repost: 0, 'template-repost': 0, new: 0 };
  // V8's pauses during the pass, to tell how many slow newcomers they explain.
  const pauses: [number, number][] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push([e.startTime, e.startTime + e.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
  const spans: [number, number][] = [];
  const cache = new Map<number, Fingerprint>();
  const fingerprints = {
    get: (c: DedupCandidate) => cache.get(c.id) ?? cache.set(c.id, fingerprint(c.title, articleText(c))).get(c.id)!,
  };
  for (let i = 0; i < probes.length; i += batchSize) {
    const batch = probes.slice(i, i + batchSize);
    const newcomers = batch.map((p) => ({ fp: p.fp, keys: dedupKeys(p.fp), at: p.at }));
    const t0 = performance.now();
    const lookup = await prefetchLookup(db, newcomers, WINDOW);
    const share = (performance.now() - t0) / batch.length;
    batchesDone.push({ ms: performance.now() - t0, ...lookup.loaded });
    for (const [j, p] of batch.entries()) {
      const n = newcomers[j]!;
      const t1 = performance.now();
      const cands = lookup.candidates(n);
      const t2 = performance.now();
      const best = closestStory({ title: p.title, text: p.text, fp: p.fp }, cands, fingerprints);
      const t3 = performance.now();
      // Indexed for the rest of the batch, as the stage does (a probe has no row: a negative id).
      lookup.add(
        { id: -1 - i - j, title: p.title, content: p.text, summary: null, effectiveAt: p.at },
        best?.clusterId ?? -1 - i - j,
        p.fp,
        n.keys,
      );
      const t4 = performance.now();
      spans.push([j === 0 ? t0 : t1, t4]);
      fromMemory.push(t2 - t1 + (t4 - t3));
      lookups.push(share + (t2 - t1) + (t4 - t3));
      decisions.push(t3 - t2);
      timings.push(share + (t4 - t1));
      candidates.push(cands.length);
      count[p.kind]++;
      if (p.expected === null ? best === null : best?.clusterId === p.expected) found[p.kind]++;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // the observer is called asynchronously
  observer.disconnect();
  const slow = spans.filter((_, k) => timings[k]! > 2);
  const duringGc = (list: [number, number][]) =>
    list.filter(([a, b]) => pauses.some(([x, y]) => x < b && y > a)).length;
  return {
    timings,
    lookups,
    fromMemory,
    decisions,
    candidates,
    batches: batchesDone,
    found,
    count,
    gc: {
      pauses: pauses.length,
      probes_during_a_pause: duringGc(spans),
      probes_over_2_ms: slow.length,
      of_which_during_a_pause: duringGc(slow),
    },
  };
}

/** The key query of a batch of probes, as `prefetchLookup` sends it. */
function batchQuery(batch: Prepared[]) {
  return keySegments(
    batch.map((p) => ({ fp: p.fp, keys: dedupKeys(p.fp), at: p.at })),
    WINDOW,
  );
}

interface ChildTask {
  url: string;
  shape: 'unpurged' | 'in-service';
  ids: number[];
  probes: number;
  days: number;
  newest: number;
}

/** Runs `probeShape` in a fresh Node process (same loader flags) and returns what it measured. */
async function probeInChild(task: ChildTask): Promise<ShapeResult> {
  const out = path.join(os.tmpdir(), `finrep-bench-lookup-${process.pid}-${task.shape}.json`);
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--probe-shape', JSON.stringify(task), out],
    { stdio: 'inherit' },
  );
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
  if (code !== 0) throw new Error(`dedup-lookup: the probing process for '${task.shape}' exited with ${code}`);
  const result = JSON.parse(readFileSync(out, 'utf8')) as ShapeResult;
  rmSync(out, { force: true });
  return result;
}

/**
 * One shape, probed by this process: the reposted articles read back from the database, the probes built
 * (reposts up to 36 h after their original; new articles over the year, or within the newest day), then
 * `measureShape`.
 */
async function probeShape(task: ChildTask): Promise<ShapeResult> {
  const database = await openDatabase({ databaseUrl: task.url, dataDir: os.tmpdir(), migrate: false });
  const client = new pg.Client({ connectionString: task.url });
  await client.connect();
  try {
    const { rows } = await client.query<{
      id: string;
      title: string;
      content: string;
      effective_at: Date;
      cluster_id: string;
    }>('select id, title, content, effective_at, cluster_id from articles where id = any($1::bigint[])', [task.ids]);
    const byId = new Map(
      rows.map((r) => [
        Number(r.id),
        { id: Number(r.id), title: r.title, text: r.content, at: r.effective_at, clusterId: Number(r.cluster_id) },
      ]),
    );
    const stored = task.ids.map((id) => byId.get(id)!);
    const rand = prng(task.shape === 'unpurged' ? 7 : 8);
    const yearAt = (r: () => number) => () => new Date(START + Math.floor(r() * task.days * DAY));
    const dayAt = (r: () => number) => () => new Date(task.newest - Math.floor(r() * DAY));
    const [label, warm, probes] =
      task.shape === 'unpurged'
        ? ([
            'unpurged, over the year',
            warmProbes(1000, 99, yearAt(prng(98))),
            makeProbes(
              task.probes,
              stored,
              rand,
              (src) => new Date(src.at.getTime() + Math.floor(rand() * 36 * 3_600_000)),
            ),
          ] as const)
        : ([
            'in service',
            warmProbes(1000, 97, dayAt(prng(96))),
            makeProbes(task.probes, stored, rand, dayAt(rand)),
          ] as const);
    collectGarbage();
    return await measureShape(label, database, client, warm, probes);
  } finally {
    await client.end();
    await database.close();
  }
}

if (process.argv[2] === '--probe-shape') {
  tunePipelineGc([...process.execArgv, process.env.NODE_OPTIONS ?? '']); // as `finrep worker` does
  const result = await probeShape(JSON.parse(process.argv[3]!) as ChildTask);
  writeFileSync(process.argv[4]!, JSON.stringify(result));
}
