import { describe, expect, it } from 'vitest';
import { collectGarbage, collectOnAllocation, limitHeapGrowth } from './gc.ts';

describe('collectGarbage', () => {
  it('frees a dropped working set at once', () => {
    expect(collectGarbage()).toBe(true);
    const holder: { set: { text: string; n: number[] }[] | null } = {
      set: Array.from({ length: 300_000 }, (_, i) => ({ text: `行情 ${i}`.repeat(4), n: [i, i + 1] })),
    };
    const held = process.memoryUsage().heapUsed;
    expect(holder.set).toHaveLength(300_000);
    holder.set = null;
    expect(collectGarbage()).toBe(true);
    const after = process.memoryUsage().heapUsed;
    // The set above is ~60 MB of objects and strings; a full collection returns nearly all of it.
    expect(held - after).toBeGreaterThan(40 * 1048576);
  });
});

describe('limitHeapGrowth', () => {
  it("leaves an operator's own --heap-growing-percent alone", () => {
    expect(limitHeapGrowth(['--max-old-space-size=512', '--heap-growing-percent=50'])).toBe(false);
    expect(limitHeapGrowth(['', '--require x --heap-growing-percent=10'])).toBe(false);
    expect(limitHeapGrowth(['--enable-source-maps', ''])).toBe(true);
  });
});

describe('collectOnAllocation', () => {
  it("leaves an operator's own GC task flags alone", () => {
    expect(collectOnAllocation(['--minor-gc-task'])).toBe(false);
    expect(collectOnAllocation(['', '--max-old-space-size=512 --no-incremental-marking-task'])).toBe(false);
    expect(collectOnAllocation(['--enable-source-maps', ''])).toBe(true);
  });
});
