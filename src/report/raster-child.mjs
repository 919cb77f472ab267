// The chart rasteriser's own process (started by raster.ts, one per edition's charts): reads
// {"font": {file, family} | null, "images": [{svg, scale}]} as JSON on stdin, writes the PNGs to stdout,
// each as a 4-byte big-endian length and its bytes, and exits. No system font is read: without a font, no text.
// resvg holds the CJK font (tens of MB) for the life of a process and aborts the process on some inputs: here
// neither touches a worker.
// Plain JavaScript so that it runs the same from src/ and dist/ without a TypeScript loader.
import { Resvg } from '@resvg/resvg-js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { font, images } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const fontOptions = font
  ? { loadSystemFonts: false, fontFiles: [font.file], defaultFontFamily: font.family, sansSerifFamily: font.family }
  : { loadSystemFonts: false };
const out = [];
for (const { svg, scale } of images) {
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: '#ffffff', font: fontOptions })
    .render()
    .asPng();
  const length = Buffer.alloc(4);
  length.writeUInt32BE(png.length);
  out.push(length, png);
}
process.stdout.end(Buffer.concat(out));
