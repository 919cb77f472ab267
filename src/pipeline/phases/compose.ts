import path from 'node:path';
import { releaseDatabaseMemory } from '../../db/client.ts';
import { alertsQ, articlesQ, editionsQ } from '../../db/queries/index.ts';
import type { ComposedFiles } from '../../report/build.ts';
import type { EditionDeps, EditionRun } from '../run.ts';
import type { CollectReport } from './collect.ts';
import type { Extracted } from './extract.ts';
import type { Ranking } from './score.ts';
import { eventText } from '../event-texts.ts';

/** The composed report's files and how many items it holds. */
export interface Composed {
  files: ComposedFiles;
  items: number;
}

/**
 * The edition's report: its items stored, the model built and stored with the edition (any worker can send
 * from it), then the email, text, workbook and web view drawn into `FINREP_DATA_DIR/reports/<date>/`.
 */
export async function composePhase(
  deps: EditionDeps,
  run: EditionRun,
  input: { extracted: Extracted; ranking: Ranking; collect: CollectReport },
): Promise<Composed> {
  return run.stages.run(
    'compose',
    async () => {
      const items = await saveItems(deps, run, input.ranking);
      const files = await drawReport(deps, run, input);
      await editionsQ.updateEdition(deps.db, run.editionId, {
        status: 'composed',
        subject: files.subject,
        htmlPath: files.emailHtml,
        textPath: files.text,
        xlsxPath: files.xlsx,
        webviewPath: files.webview,
        itemCount: items,
        composedAt: deps.now(),
      });
      deps.composed?.set(run.editionId, files);
      return { files, items };
    },
    ({ items, files: f }) => {
      const kb = Math.round(f.emailBytes / 1024);
      const line =
        f.emailOmitted > 0
          ? eventText('compose.doneTrimmed', { items, kb, trimmed: f.emailOmitted })
          : eventText('compose.done', { items, kb });
      // The file on the server is for the CLI's line only: the pages link to the edition, and the params
      // (which the API shows) never name a path.
      return { ...line, text: `${line.text} → ${f.webview}` };
    },
  );
}

/** The report's items: the top stories, then each section's, ranked. */
async function saveItems(deps: EditionDeps, run: EditionRun, ranking: Ranking): Promise<number> {
  const items = [
    ...ranking.top.map((s, i) => ({ s, section: 'top', rank: i + 1, top: true })),
    ...[...ranking.sections].flatMap(([section, list]) =>
      list.map((s, i) => ({ s, section, rank: i + 1, top: false })),
    ),
  ];
  await editionsQ.saveReportItems(
    deps.db,
    run.editionId,
    items.map(({ s, section, rank, top }) => ({
      articleId: s.articleId,
      clusterId: s.clusterId,
      section,
      rank,
      top,
      score: s.score,
      factors: s.factors,
    })),
  );
  return items.length;
}

async function drawReport(
  deps: EditionDeps,
  run: EditionRun,
  { extracted, ranking, collect }: { extracted: Extracted; ranking: Ranking; collect: CollectReport },
): Promise<ComposedFiles> {
  const { db, config, log } = deps;
  const { date } = run.data;
  const { from, to } = run.window;
  // Loaded here, not at the top: a worker that never composes never holds React, ECharts and exceljs.
  const [{ buildReportModel, writeReportFiles }, { storeReportModel }] = await Promise.all([
    import('../../report/build.ts'),
    import('../../report/stored-model.ts'),
  ]);
  const model = buildReportModel({
    edition: date,
    timeZone: config.timeZone,
    generatedAt: deps.now(),
    window: run.window,
    ranking,
    stories: extracted.stories,
    articleCount: await articlesQ.countWindowArticles(db, from, to),
    allArticles: await articlesQ.listWindowArticles(db, from, to),
    extractions: extracted.results,
    sourceStats: collect.per_source.map((p) => ({
      name: p.name,
      kind: p.kind as 'rss' | 'web' | 'dynamic',
      fetched: p.fetched,
      newArticles: p.new,
      status: p.status,
      error: p.error,
    })),
    // The same base as the unsubscribe links, so the footer always offers the web view.
    webViewUrl: `${(config.report.publicBaseUrl ?? `http://localhost:${config.web.port}`).replace(/\/$/, '')}/reports/${date}`,
    // Stories an intraday alert already pushed (alert_log `sent`): marked 已预警.
    alerted: await alertsQ.alertedStories(
      db,
      ranking.all.flatMap((s) => (s.clusterId === null ? [] : [s.clusterId])),
    ),
  });
  // The model first, then the files: storing it (JSON parsed into jsonb) grows the embedded database's
  // WebAssembly heap by ~80 MB for 6,000 articles, which its thread gives back when replaced — before
  // drawing the files takes the process's own heap up, so the two peaks do not meet.
  await editionsQ.updateEdition(db, run.editionId, { model: storeReportModel(model) });
  await releaseDatabaseMemory(db);
  const files = await writeReportFiles(model, path.join(config.dataDir, 'reports', date), { charts: { log } });
  if (files.emailOmitted > 0)
    log.warn(
      { edition: date, omitted: files.emailOmitted, bytes: files.emailBytes },
      'email trimmed to stay under the 102 KB clipping limit',
    );
  if (files.chartError)
    log.warn({ edition: date, err: files.chartError }, 'report charts could not be drawn; the email shows a text bar');
  return files;
}
