import type { Db } from '../db/client.ts';
import { runsQ } from '../db/queries/index.ts';
import type { Logger } from '../log.ts';

/** Runs the stages of one run, recording each in `run_stages`, timing it and reporting progress. */
export class Stages {
  readonly timings: Record<string, number> = {};
  constructor(private db: Db, private runId: number, private log: Logger, private progress?: (line: string) => void) {}

  async run<T>(stage: string, fn: () => Promise<T>, describe: (result: T) => string): Promise<T> {
    const id = await runsQ.startStage(this.db, this.runId, stage);
    this.progress?.(`▶ ${stage} …`);
    const t0 = performance.now();
    try {
      const result = await fn();
      const ms = Math.round(performance.now() - t0);
      this.timings[stage] = ms;
      const line = describe(result);
      await runsQ.finishStage(this.db, id, 'ok', ms, { line }, null);
      this.log.info({ run_id: this.runId, stage, duration_ms: ms }, 'stage done');
      this.progress?.(`✔ ${stage} (${ms} ms): ${line}`);
      return result;
    } catch (err) {
      const ms = Math.round(performance.now() - t0);
      this.timings[stage] = ms;
      await runsQ.finishStage(this.db, id, 'failed', ms, {}, (err as Error).message).catch(() => {});
      this.progress?.(`✘ ${stage} (${ms} ms): ${(err as Error).message}`);
      throw err;
    }
  }
}
