/**
 * The charts row: two PNGs side by side in the 600 px card, one above the other on a phone (inline-block
 * "fluid hybrid" columns, no media query needed). Each image has its size in attributes (Outlook) and its
 * content in `alt`, so with images blocked the reader still gets the numbers.
 */
import type { ReportChart } from '../../domain.ts';

/** Where an image's bytes come from: a CID attachment (mail) or a `data:` URI (web view, previews). */
export type ImageMode = 'cid' | 'data';

export function chartSrc(chart: ReportChart, mode: ImageMode): string {
  return mode === 'cid' ? `cid:${chart.cid}` : chart.dataUri;
}

export function ChartRow({ charts, images }: { charts: ReportChart[]; images: ImageMode }) {
  return (
    // Centred: on a phone the narrow ring sits mid-column above the full-width bars.
    <div style={{ margin: '4px 0 0', fontSize: 0, lineHeight: 0, textAlign: 'center' }}>
      {charts.map((c) => (
        <div
          key={c.id}
          style={{ display: 'inline-block', width: '100%', maxWidth: `${c.width}px`, verticalAlign: 'top' }}
        >
          <img
            src={chartSrc(c, images)}
            width={c.width}
            height={c.height}
            alt={c.alt}
            style={{
              display: 'block',
              width: '100%',
              maxWidth: `${c.width}px`,
              height: 'auto',
              border: 0,
              outline: 'none',
              fontSize: '12px',
              lineHeight: '18px',
              color: '#667085',
            }}
          />
        </div>
      ))}
    </div>
  );
}
