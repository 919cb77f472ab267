import { describe, expect, it } from 'vitest';
import { renderEmailHtml } from '../report/index.ts';
import { fixtureModel } from '../report/testdata/model.ts';
import { renderFromModel } from './render.ts';

describe('renderFromModel', () => {
  const model = fixtureModel();
  const render = renderFromModel(model);

  it('gives each recipient exactly the copy a full render gives, from one rendering per shape', async () => {
    for (const p of [
      { recipientName: '李明', unsubscribeUrl: 'https://fin.example.com/unsubscribe?t=abc.def&x=1' },
      { recipientName: null, unsubscribeUrl: 'https://fin.example.com/unsubscribe?t=zzz' },
      { recipientName: '王芳', unsubscribeUrl: null },
      { recipientName: null, unsubscribeUrl: null },
    ]) {
      const fast = await render(p);
      expect(fast.html).toBe(await renderEmailHtml(model, p));
      expect(fast.html).not.toContain('TOKEN');
    }
  });

  it('escapes a hostile name and link as the full render does', async () => {
    const p = {
      recipientName: '<script>alert("x")</script> & \'Bob\'',
      unsubscribeUrl: 'https://fin.example.com/u?t=a"b<c>&d',
    };
    const fast = await render(p);
    expect(fast.html).not.toContain('<script>');
    expect(fast.html).toContain('&lt;script&gt;');
    const full = await renderEmailHtml(model, p);
    // Same text once entities are normalised (React writes &#x27; and &quot; as we do).
    expect(fast.html.length).toBeGreaterThan(1000);
    expect(fast.html.replace(/&#x27;|&#39;/g, "'")).toBe(full.replace(/&#x27;|&#39;/g, "'"));
  });
});
