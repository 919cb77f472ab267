import path from 'node:path';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { articlesQ, editionsQ, runsQ } from '../db/queries/index.ts';
import { runCollect } from '../collect/run.ts';
import { createBrowserPool } from '../collect/index.ts';
import { runDedup } from '../dedup/run.ts';
import { runExtract } from '../extract/run.ts';
import { rankStories } from '../score/index.ts';
import { buildReportModel, writeReportFiles } from '../report/build.ts';
import { runDeliver } from '../deliver/run.ts';
import { renderFromModel } from '../deliver/render.ts';
import type { Mailer } from '../deliver/mailer.ts';
import type { Logger } from '../log.ts';
import { readFile } from 'node:fs/promises';
import { editionWindow } from './window.ts';
import { loadRankingSettings } from './settings.ts';
import { Stages } from './stages.ts';
import type { RunSummary } from './summary.ts';

export interface EditionDeps {
  db: Db;
  config: Config;
  log: Logger;
  now: () => Date;
  /** The mail transport; omitted for dry runs. */
  mailer: Mailer | null;
  /** Signs unsubscribe links. */
  secret: string;
  /** Per-stage progress lines for a terminal (stderr). */
  progress?: (line: string) => void;
}

export interface EditionOptions {
  date: string;
  dryRun?: boolean;
  trigger?: string;
  /** Collect only these source keys (the demo world's). */
  sourceKeys?: string[];
  /** Send only to recipients in these groups (all active recipients when absent). */
  groups?: string[];
}

/** One whole edition, stage by stage: collect → dedup → extract → score → compose → deliver. */
export async function runEdition(deps: EditionDeps, opts: EditionOptions): Promise<RunSummary> {
  const { db, config, log } = deps;
  const window = editionWindow(opts.date, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: config.report.windowHours });
  const edition = await editionsQ.ensureEdition(db, opts.date, window.from, window.to);
  const runId = await runsQ.startRun(db, edition.id, opts.trigger ?? 'cli');
  const stages = new Stages(db, runId, log, deps.progress);
  await editionsQ.setEditionStatus(db, edition.id, 'running');
  try {
    // One browser for the run's dynamic sources, launched only if one is collected, closed with the stage.
    const browser = createBrowserPool({
      executablePath: config.crawl.chromiumPath, maxPages: config.crawl.concurrencyWeb, navigationTimeoutMs: config.crawl.timeoutSec * 1000, log,
    });
    const collect = await stages.run('collect', () => runCollect({
      db, log, now: deps.now, timeZone: config.timeZone, userAgent: config.crawl.userAgent, timeoutMs: config.crawl.timeoutSec * 1000,
      concurrency: { rss: config.crawl.concurrencyRss, web: config.crawl.concurrencyWeb }, perHostConcurrency: config.crawl.perHostConcurrency, browser,
    }, { runId, keys: opts.sourceKeys }).finally(() => browser.close()), (c) => `${c.sources} sources, ${c.fetched} items, ${c.new_articles} new, ${c.failed_sources} failed`);

    const dedup = await stages.run('dedup', () => runDedup({ db, log }), (d) => `${d.unique} new stories, ${d.nearDuplicates} near-duplicates`);

    const stories = await articlesQ.listWindowStories(db, window.from, window.to);
    const extract = await stages.run('extract', () => runExtract({ db, log, llm: config.llm, timeZone: config.timeZone, now: deps.now, editionId: edition.id }, stories), (e) => `${stories.length} stories, ${e.summary.articles} extracted`);

    const ranking = await stages.run('score', async () => {
      const settings = await loadRankingSettings(db);
      if (settings.problems.length > 0) log.warn({ edition: opts.date, problems: settings.problems }, 'ranking settings ignored');
      return rankStories(
        stories.filter((s) => extract.results.has(s.articleId)).map((s) => ({
          articleId: s.articleId, clusterId: s.clusterId, coverage: s.size, sourceWeight: s.sourceWeight, effectiveAt: s.effectiveAt,
          extraction: extract.results.get(s.articleId)!, title: s.title,
        })),
        { windowFrom: window.from, windowTo: window.to, topN: config.report.topN, weights: settings.weights, watch: settings.watch, ...settings.caps },
      );
    }, (r) => `${r.top.length} top stories, ${[...r.sections.values()].reduce((n, s) => n + s.length, 0)} in sections`);

    const composed = await stages.run('compose', async () => {
      const items = [
        ...ranking.top.map((s, i) => ({ s, section: 'top', rank: i + 1, top: true })),
        ...[...ranking.sections].flatMap(([section, list]) => list.map((s, i) => ({ s, section, rank: i + 1, top: false }))),
      ];
      const saved = await editionsQ.saveReportItems(db, edition.id, items.map(({ s, section, rank, top }) => ({
        articleId: s.articleId, clusterId: s.clusterId, section, rank, top, score: s.score, factors: s.factors,
      })));
      const model = buildReportModel({
        edition: opts.date, timeZone: config.timeZone, generatedAt: deps.now(), window, ranking, stories,
        articleCount: await articlesQ.countWindowArticles(db, window.from, window.to),
        allArticles: await articlesQ.listWindowArticles(db, window.from, window.to),
        extractions: extract.results,
        sourceStats: collect.per_source.map((p) => ({
          name: p.name, kind: p.kind as 'rss' | 'web' | 'dynamic', fetched: p.fetched, newArticles: p.new, status: p.status, error: p.error,
        })),
        // The same base as the unsubscribe links, so the footer always offers the web view.
        webViewUrl: `${(config.report.publicBaseUrl ?? `http://localhost:${config.web.port}`).replace(/\/$/, '')}/reports/${opts.date}`,
      });
      const files = await writeReportFiles(model, path.join(config.dataDir, 'reports', opts.date));
      if (files.emailOmitted > 0) {
        log.warn({ edition: opts.date, omitted: files.emailOmitted, bytes: files.emailBytes }, 'email trimmed to stay under the 102 KB clipping limit');
      }
      if (files.chartError) log.warn({ edition: opts.date, err: files.chartError }, 'report charts could not be drawn; the email shows a text bar');
      await editionsQ.updateEdition(db, edition.id, {
        status: 'composed', subject: files.subject, htmlPath: files.emailHtml, textPath: files.text, xlsxPath: files.xlsx,
        webviewPath: files.webview, itemCount: items.length, composedAt: deps.now(),
      });
      // The model with its charts: every recipient's email references `files.inlineImages`.
      return { model: files.model, files, items: items.length, added: saved.added };
    }, (c) => `${c.items} items, email ${Math.round(c.files.emailBytes / 1024)} KB${c.files.emailOmitted > 0 ? ` (${c.files.emailOmitted} trimmed)` : ''} → ${c.files.webview}`);

    const deliver = opts.dryRun || !deps.mailer
      ? null
      : await stages.run('deliver', async () => {
        await editionsQ.setEditionStatus(db, edition.id, 'delivering');
        return runDeliver({
          db, log, mailer: deps.mailer!, from: { address: config.smtp.from, name: config.smtp.fromName },
          ratePerSec: config.mail.ratePerSec, maxAttempts: config.mail.maxAttempts, secret: deps.secret,
          publicBaseUrl: config.report.publicBaseUrl ?? `http://localhost:${config.web.port}`, redisUrl: config.redisUrl,
        }, {
          editionId: edition.id, edition: opts.date, render: renderFromModel(composed.model), subject: composed.files.subject,
          xlsx: await readFile(composed.files.xlsx), xlsxName: composed.files.xlsxName, inlineImages: composed.files.inlineImages,
        }, { groups: opts.groups });
      }, (d) => `${d.sent} sent, ${d.failed} failed, ${d.skipped} skipped${d.error ? ` — ${d.error}` : ''}`);

    const partial = collect.failed_sources > 0 || (deliver !== null && (deliver.failed > 0 || deliver.error !== null || deliver.retrying > 0));
    const status = partial ? 'partial' : 'ok';
    const summary: RunSummary = {
      edition: opts.date, status, dry_run: opts.dryRun ?? false,
      collect: { sources: collect.sources, fetched: collect.fetched, new_articles: collect.new_articles, failed_sources: collect.failed_sources, errors: collect.errors },
      dedup: { unique: dedup.unique, clusters: stories.length, duplicates: collect.duplicates + dedup.nearDuplicates },
      extract: { ...extract.summary },
      report: { items: composed.items, html: composed.files.webview, email_html: composed.files.emailHtml, text: composed.files.text, xlsx: composed.files.xlsx },
      deliver: deliver
        ? { recipients: deliver.recipients, sent: deliver.sent, failed: deliver.failed, skipped: deliver.skipped, uncertain: deliver.uncertain, transport: deps.mailer!.kind, error: deliver.error }
        : { recipients: 0, sent: 0, failed: 0, skipped: 0, uncertain: 0, transport: null, error: null },
      timings_ms: stages.timings,
    };
    await editionsQ.updateEdition(db, edition.id, {
      status: deliver ? (deliver.failed > 0 || deliver.error ? 'partial' : 'delivered') : 'composed',
      summary: summary as unknown as Record<string, unknown>, ...(deliver ? { deliveredAt: deps.now() } : {}),
    });
    await runsQ.finishRun(db, runId, status, summary as unknown as Record<string, unknown>, null);
    return summary;
  } catch (err) {
    await runsQ.finishRun(db, runId, 'failed', {}, (err as Error).message).catch(() => {});
    await editionsQ.setEditionStatus(db, edition.id, 'failed').catch(() => {});
    throw err;
  }
}
