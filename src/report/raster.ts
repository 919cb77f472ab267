/**
 * SVG → PNG in a short-lived child process (`raster-child.mjs`, resvg). resvg keeps the CJK font it was given
 * (the bundled 8.4 MB Noto subset: the child peaks at ~66 MB where a bare node is ~48 MB; fonts-noto-cjk's
 * 19 MB collection ~75 MB) for the life of the process that rendered, and aborts that process on some inputs;
 * a worker that composes an edition a day should hold neither. A child costs a few hundred ms per edition.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The font resvg loads: a file and the family it declares (charts.ts's `ChartFont` is one). */
interface RasterFont {
  file: string;
  family: string;
}

const CHILD = fileURLToPath(new URL('./raster-child.mjs', import.meta.url));

/** Rasterises each SVG at its scale; rejects with the child's error (or a timeout) when it cannot. */
export function rasterise(
  images: { svg: string; scale: number }[],
  font: RasterFont | null,
  opts: { timeoutMs?: number } = {},
): Promise<Buffer[]> {
  if (images.length === 0) return Promise.resolve([]);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chart rasteriser timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        const why = err.trim().split('\n').filter(Boolean).pop() ?? '';
        reject(
          new Error(
            `chart rasteriser ${signal ? `killed by ${signal}` : `exited with ${code}`}${why ? `: ${why}` : ''}`,
          ),
        );
        return;
      }
      try {
        resolve(split(Buffer.concat(out), images.length));
      } catch (e) {
        reject(e as Error);
      }
    });
    child.stdin.on('error', () => {
      /* the child died early: its exit says why */
    });
    child.stdin.end(JSON.stringify({ font, images }));
  });
}

/** The child's output: `count` PNGs, each a 4-byte big-endian length and its bytes. */
function split(bytes: Buffer, count: number): Buffer[] {
  const pngs: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new Error('chart rasteriser: truncated output');
    const n = bytes.readUInt32BE(at);
    if (at + 4 + n > bytes.length) throw new Error('chart rasteriser: truncated output');
    pngs.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  if (pngs.length !== count) throw new Error(`chart rasteriser: ${pngs.length} images for ${count}`);
  return pngs;
}
