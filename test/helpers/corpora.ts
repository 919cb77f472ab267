import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * A shared public corpus: under `FINREP_CORPORA` when it is set, else in `../shared/corpora` beside the
 * project root. Never a fixed machine path: a clone elsewhere sets `FINREP_CORPORA`, and the tests that
 * need a corpus skip, naming this path, when it does not exist.
 */
export function corpusDir(name: string): string {
  const base = process.env.FINREP_CORPORA || path.join(ROOT, '../shared/corpora');
  return path.resolve(base, name);
}
