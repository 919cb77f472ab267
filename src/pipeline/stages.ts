import type { Db } from '../db/client.ts';
import { runsQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';
import { metrics } from '../ops/metrics.ts';
import { codeOf } from '../lib/coded-text.ts';
import type { CodedText } from '../lib/coded-text.ts';
import { eventText } from './event-texts.ts';

/** A line as the CLI prints it. */
const english = (line: string | CodedText) => (typeof line === 'string' ? line : line.text);

/**
 * The stages of one run: each recorded in `run_stages` (start, end, counts, error, live progress) and as
 * events in `run_events`, timed, and reported on the terminal. Stages may overlap (collect and extract do).
 * A line given as a {@link CodedText} is stored in English with its code and params beside it (the event's
 * `data.code` / `data.params`, the stage's `counts.line_text`), for the console to say in its language.
 */
export class Stages {
  readonly timings: Record<string, number> = {};
  private readonly open = new Map<string, { id: number; t0: number }>();
  private readonly lastProgress = new Map<string, string>();

  constructor(
    private db: Db,
    readonly runId: number,
    private log: Logger,
    private progressLine?: (line: string) => void,
  ) {}

  async begin(stage: string): Promise<void> {
    const id = await runsQ.startStage(this.db, this.runId, stage);
    this.open.set(stage, { id, t0: performance.now() });
    await this.event(stage, 'start', eventText('stage.started', { stage }));
    this.progressLine?.(`▶ ${stage} …`);
  }

  async end(stage: string, line: string | CodedText, counts: Record<string, unknown> = {}): Promise<void> {
    const s = this.open.get(stage);
    if (!s) return;
    this.open.delete(stage);
    const ms = Math.round(performance.now() - s.t0);
    this.timings[stage] = ms;
    metrics.stageEnded(stage, true, ms / 1000);
    const coded = typeof line === 'string' ? {} : { line_text: codeOf(line) };
    await runsQ.finishStage(this.db, s.id, 'ok', ms, { line: english(line), ...coded, ...counts }, null);
    await this.event(stage, 'end', line, { duration_ms: ms });
    this.log.info({ run_id: this.runId, stage, duration_ms: ms }, 'stage done');
    this.progressLine?.(`✔ ${stage} (${ms} ms): ${english(line)}`);
  }

  async fail(stage: string, err: unknown): Promise<void> {
    const s = this.open.get(stage);
    if (!s) return;
    this.open.delete(stage);
    const ms = Math.round(performance.now() - s.t0);
    this.timings[stage] = ms;
    metrics.stageEnded(stage, false, ms / 1000);
    const message = err instanceof Error ? err.message : String(err);
    await runsQ.finishStage(this.db, s.id, 'failed', ms, {}, message).catch(() => {});
    await this.event(stage, 'error', message).catch(() => {});
    this.progressLine?.(`✘ ${stage} (${ms} ms): ${message}`);
  }

  /** Live progress of a running stage (written when it changed). */
  async progress(stage: string, done: number, total: number, unit: string): Promise<void> {
    const key = `${done}/${total}`;
    if (this.lastProgress.get(stage) === key || !this.open.has(stage)) return;
    this.lastProgress.set(stage, key);
    await runsQ.setStageProgress(this.db, this.runId, stage, { done, total, unit });
  }

  async event(
    stage: string | null,
    kind: runsQ.RunEventKind,
    message: string | CodedText,
    data?: Record<string, unknown>,
  ): Promise<void> {
    const coded = typeof message === 'string' ? data : { ...data, ...codeOf(message) };
    await runsQ.addRunEvent(this.db, { runId: this.runId, stage, kind, message: english(message), data: coded });
  }

  /** One stage from start to end. */
  async run<T>(stage: string, fn: () => Promise<T>, describe: (result: T) => string | CodedText): Promise<T> {
    await this.begin(stage);
    try {
      const result = await fn();
      await this.end(stage, describe(result));
      return result;
    } catch (err) {
      await this.fail(stage, err);
      throw err;
    }
  }

  /** Marks every stage still open as failed (the run is ending on an error). */
  async failOpen(err: unknown): Promise<void> {
    for (const stage of [...this.open.keys()]) await this.fail(stage, err);
  }
}
