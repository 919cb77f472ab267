// The embedded database's thread (plain JavaScript: a worker thread loads it as it is, from src/ or dist/).
// PGlite runs PostgreSQL compiled to WebAssembly synchronously: on the main thread every query would stop
// the event loop — fetches, parsing and mail — for as long as it runs. Here it has a thread of its own,
// like the separate process PostgreSQL is. Messages: { id, sql, params, rowMode, rawDates } → { id, result }
// or { id, error }; { id, close: true } closes the database; { id, dump: true } answers { tarball } (dumpDataDir). workerData: { dir, settings: ['name=value', …] },
// or no dir: the thread loads PGlite and compiles its WebAssembly at once, then waits for
// { open: { dir, settings } } (a thread started ahead of time, while the caller loads its configuration);
// workerData.modules: PGlite's compiled WebAssembly modules, from the thread this one replaces. Once open it
// answers { ready: true, modules, compiledHere } (the modules it used, for its successor; whether it compiled
// them itself) or { ready: false, error }.
// See pglite-client.ts.
/* global WebAssembly, Blob */
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';

// PGlite's artifacts, read and compiled here before the folder is known (compiling pglite.wasm is a third of
// its start). PGlite fetches them itself when this fails (another layout of the package). A thread that
// replaces another gets the modules its predecessor compiled (workerData.modules): V8 shares their machine
// code between the threads of a process, so a replacement neither compiles pglite.wasm again — seconds of
// CPU and tens of MB of compiler memory, which glibc keeps — nor holds a second copy of its code.
const artifacts = (async () => {
  const at = (name) => new URL(name, import.meta.resolve('@electric-sql/pglite'));
  const given = workerData?.modules;
  const [pgliteWasmModule, initdbWasmModule, bundle] = await Promise.all([
    given?.pgliteWasmModule ?? readFile(at('./pglite.wasm')).then((b) => WebAssembly.compile(b)),
    given?.initdbWasmModule ?? readFile(at('./initdb.wasm')).then((b) => WebAssembly.compile(b)),
    readFile(at('./pglite.data')),
  ]);
  return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([bundle]) };
})().catch(() => ({}));
// Loaded after the compile has begun, on the time the files take to read.
const { PGlite, types } = await import('@electric-sql/pglite');

const asText = (value) => value;
// drizzle's PGlite driver reads dates, intervals and numeric[] as the text PostgreSQL sends.
const RAW_DATES = {
  [types.TIMESTAMP]: asText,
  [types.TIMESTAMPTZ]: asText,
  [types.INTERVAL]: asText,
  [types.DATE]: asText,
  1231: asText,
  1115: asText,
  1185: asText,
  1187: asText,
  1182: asText,
};

/** A PostgreSQL error's fields (code, severity, detail …) survive the trip; structured cloning would drop them. */
function plainError(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  const out = { name: e.name, message: e.message };
  for (const [k, v] of Object.entries(e))
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

let pg;
try {
  const { dir, settings: given } = workerData?.dir ? workerData : (await once(parentPort, 'message'))[0].open;
  // Settings ride on PostgreSQL's command line (`-c name=value`) after PGlite's own.
  const settings = (given ?? []).flatMap((s) => ['-c', s]);
  const loaded = await artifacts;
  pg = await PGlite.create(dir, { ...loaded, startParams: [...PGlite.defaultStartParams, ...settings] });
  const { pgliteWasmModule, initdbWasmModule } = loaded;
  parentPort.postMessage({
    ready: true,
    modules: pgliteWasmModule && { pgliteWasmModule, initdbWasmModule },
    compiledHere: !workerData?.modules,
  });
} catch (err) {
  parentPort.postMessage({ ready: false, error: plainError(err) });
  process.exit(1);
}

parentPort.on('message', async (m) => {
  if (m.close) {
    try {
      await pg.close();
    } finally {
      parentPort.postMessage({ id: m.id, result: null });
      parentPort.close();
    }
    return;
  }
  if (m.dump) {
    // `finrep backup` on the embedded database: PGlite's own dump of its folder, a gzipped tarball, taken
    // between two statements after a checkpoint (src/ops/backup-pglite.ts).
    try {
      await pg.query('CHECKPOINT');
      const tarball = await (await pg.dumpDataDir('gzip')).arrayBuffer();
      parentPort.postMessage({ id: m.id, result: { rows: [], fields: [], tarball } }, [tarball]);
    } catch (err) {
      parentPort.postMessage({ id: m.id, error: plainError(err) });
    }
    return;
  }
  try {
    const r = await pg.query(m.sql, m.params, { rowMode: m.rowMode, ...(m.rawDates && { parsers: RAW_DATES }) });
    parentPort.postMessage({ id: m.id, result: { rows: r.rows, affectedRows: r.affectedRows, fields: r.fields } });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: plainError(err) });
  }
});
