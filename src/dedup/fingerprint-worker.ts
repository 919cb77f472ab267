/**
 * A worker thread of `FingerprintPool`: parses and fingerprints chunks of JSON lines (`fingerprintChunk`) and
 * sends each result back with its typed arrays transferred.
 */
import { parentPort } from 'node:worker_threads';
import { batchBuffers } from './feature-batch.ts';
import { fingerprintChunk } from './jsonl.ts';

// Imported outside a worker (e.g. a build check loading every module), it does nothing.
const port = parentPort;
if (port)
  port.on('message', ({ seq, bytes }: { seq: number; bytes: Uint8Array }) => {
    try {
      const r = fingerprintChunk(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      port.postMessage({ seq, result: r }, [
        ...batchBuffers(r.batch),
        r.lineNos.buffer as ArrayBuffer,
        r.at.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      port.postMessage({ seq, crash: (err as Error).stack ?? String(err) });
    }
  });
