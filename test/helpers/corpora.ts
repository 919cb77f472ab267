import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The shared public corpora (`../shared/corpora` beside the project root). A clone elsewhere (CI) finds them
 * through `FINREP_CORPORA` or the workplace's fixed location.
 */
export function corpusDir(name: string): string {
  const candidates = [
    process.env.FINREP_CORPORA && path.join(process.env.FINREP_CORPORA, name),
    path.join(ROOT, '../shared/corpora', name),
    path.join('/work/shared/corpora', name),
  ].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}
