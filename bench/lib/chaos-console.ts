/**
 * What the console showed during a chaos trial, against the truth. A poller reads the run through the web
 * (`GET /api/v1/runs/:id` with a bearer token) every `everyMs`; right after each answer it reads the same run
 * and its delivery log from the database directly and counts the mails the SMTP server has received. The
 * checks: the web never showed the run finished before its delivery ended (no open delivery row, every mail
 * that ever arrives already arrived), never went back from finished to running, and, read after the end,
 * shows what the database holds. Failed polls are counted, and told apart when the web was the one down.
 */
import pg from 'pg';
import { sleep } from './edition-world-procs.ts';

export interface ConsoleSample {
  at_ms: number;
  /** The web's answer: the run's status and its stages' statuses; null when the poll failed. */
  web: { status: string; stages: Record<string, string> } | null;
  error?: string;
  /** The database read right after the answer. */
  db: { status: string; delivery_rows: number; delivery_open: number } | null;
  /** Mails the SMTP server had accepted for this trial when the answer came. */
  smtp_received: number;
}

export interface ConsolePoller {
  samples: ConsoleSample[];
  /** Takes one last sample and stops. */
  stop(): Promise<void>;
}

/** Polls the run through the web and the database until stopped. */
export function pollConsole(o: {
  webUrl: string;
  token: string;
  runId: number;
  databaseUrl: string;
  t0: number;
  everyMs: number;
  smtpReceived: () => number;
}): ConsolePoller {
  const samples: ConsoleSample[] = [];
  let stopped = false;
  const pool = new pg.Pool({ connectionString: o.databaseUrl, max: 1, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {
    /* a restarted server: the next query reconnects */
  });
  const sample = async () => {
    const s: ConsoleSample = { at_ms: 0, web: null, db: null, smtp_received: 0 };
    try {
      const r = await fetch(`${o.webUrl}/api/v1/runs/${o.runId}`, {
        headers: { authorization: `Bearer ${o.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      const body = (await r.json()) as { status: string; stages: { stage: string; status: string }[] };
      s.web = { status: body.status, stages: Object.fromEntries(body.stages.map((x) => [x.stage, x.status])) };
    } catch (err) {
      s.error = (err as Error).message.slice(0, 120);
    }
    s.at_ms = Math.round(performance.now() - o.t0);
    s.smtp_received = o.smtpReceived();
    try {
      const { rows } = await pool.query<{ status: string; rows: number; open: number }>(
        `select r.status, count(d.id)::int as rows,
           count(d.id) filter (where d.status in ('queued', 'sending'))::int as open
         from runs r left join delivery_log d on d.edition_id = r.edition_id where r.id = $1 group by r.status`,
        [o.runId],
      );
      if (rows[0]) s.db = { status: rows[0].status, delivery_rows: rows[0].rows, delivery_open: rows[0].open };
    } catch {
      /* the database is restarting: this sample has the web side only */
    }
    samples.push(s);
  };
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      await sample();
      await sleep(Math.max(0, o.everyMs - (performance.now() - started)));
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
      await sample();
      await pool.end().catch(() => {});
    },
  };
}

export interface ConsoleCheck {
  polls: number;
  failed_polls: number;
  /** Failed polls while the web process was down or restarting (expected when it is the victim). */
  failed_polls_web_down: number;
  /** The first sample that showed the run finished, ms from the start. */
  shown_finished_at_ms: number | null;
  statuses_seen: string[];
  problems: string[];
}

/** Finished statuses of a run. */
const FINISHED = new Set(['ok', 'partial', 'failed']);

/**
 * Judges the samples. `webDown` are the spans (ms from t0) when the web process was dead or not yet serving
 * again; `finalStatus` / `finalStages` what the database holds after the end; `smtpFinal` the mails received
 * in all.
 */
export function checkConsole(
  samples: ConsoleSample[],
  o: {
    webDown: { from: number; to: number }[];
    finalStatus: string | null;
    finalStages: Record<string, string>;
    smtpFinal: number;
  },
): ConsoleCheck {
  const problems: string[] = [];
  const down = (t: number) => o.webDown.some((w) => t >= w.from && t <= w.to);
  const failed = samples.filter((s) => !s.web);
  const failedDown = failed.filter((s) => down(s.at_ms)).length;
  if (failed.length - failedDown > 0)
    problems.push(
      `${failed.length - failedDown} polls failed while the web was up (${[...new Set(failed.filter((s) => !down(s.at_ms)).map((s) => s.error))].join(', ')})`,
    );
  const seen: string[] = [];
  let finishedAt: number | null = null;
  let wasFinished: string | null = null;
  for (const s of samples) {
    if (!s.web) continue;
    const st = s.web.status;
    if (seen.at(-1) !== st) seen.push(st);
    if (FINISHED.has(st)) {
      finishedAt ??= s.at_ms;
      if (st !== 'failed') {
        if (s.web.stages.deliver !== 'ok')
          problems.push(
            `at ${s.at_ms} ms the web showed ${st} with the deliver stage ${s.web.stages.deliver ?? 'absent'}`,
          );
        if (s.db && s.db.delivery_open > 0)
          problems.push(`at ${s.at_ms} ms the web showed ${st} with ${s.db.delivery_open} deliveries still open`);
        if (s.smtp_received < o.smtpFinal)
          problems.push(`at ${s.at_ms} ms the web showed ${st} with ${s.smtp_received}/${o.smtpFinal} mails received`);
      }
      wasFinished = st;
    } else if (wasFinished) {
      problems.push(`at ${s.at_ms} ms the web showed ${st} after having shown ${wasFinished}`);
      wasFinished = null;
    }
    if (s.db && FINISHED.has(st) && s.db.status !== st)
      problems.push(`at ${s.at_ms} ms the web showed ${st}, the database said ${s.db.status}`);
  }
  // A run first shown failed that then completed: the console told the operator something untrue for a while.
  if (seen.includes('failed') && o.finalStatus !== 'failed')
    problems.push(`the web showed failed before the run ended ${o.finalStatus}`);
  const last = samples.at(-1);
  if (!last?.web) problems.push('the last poll, after the end, failed');
  else {
    if (last.web.status !== o.finalStatus)
      problems.push(`after the end the web shows ${last.web.status}, the database ${o.finalStatus}`);
    if (JSON.stringify(sorted(last.web.stages)) !== JSON.stringify(sorted(o.finalStages)))
      problems.push(
        `after the end the web shows stages ${JSON.stringify(last.web.stages)}, the database ${JSON.stringify(o.finalStages)}`,
      );
  }
  return {
    polls: samples.length,
    failed_polls: failed.length,
    failed_polls_web_down: failedDown,
    shown_finished_at_ms: finishedAt,
    statuses_seen: seen,
    problems: [...new Set(problems)].slice(0, 10),
  };
}

const sorted = (r: Record<string, string>) =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
