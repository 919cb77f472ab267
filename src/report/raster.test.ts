import { describe, expect, it } from 'vitest';
import { findCjkFont } from './charts.ts';
import { rasterise } from './raster.ts';

const svg = (w: number, h: number) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="#c00"/><text x="4" y="20" font-size="14">宏观 利好</text></svg>`;

describe('rasterise (resvg in a child process)', () => {
  it('returns one PNG per SVG, in order, at its scale', async () => {
    const [a, b] = await rasterise(
      [
        { svg: svg(100, 40), scale: 2 },
        { svg: svg(30, 50), scale: 1 },
      ],
      findCjkFont(),
    );
    for (const [png, w, h] of [
      [a!, 200, 80],
      [b!, 30, 50],
    ] as const) {
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect({ w: png.readUInt32BE(16), h: png.readUInt32BE(20) }).toEqual({ w, h });
    }
  });

  it("rejects with resvg's reason when an SVG cannot be read, without harming this process", async () => {
    await expect(rasterise([{ svg: '<svg><not closed', scale: 1 }], null)).rejects.toThrow(
      /^chart rasteriser exited with 1: .+/,
    );
  });

  it('gives up after its timeout', async () => {
    await expect(rasterise([{ svg: svg(10, 10), scale: 1 }], null, { timeoutMs: 1 })).rejects.toThrow(
      'chart rasteriser timed out after 1 ms',
    );
  });
});
