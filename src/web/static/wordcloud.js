// finrep console word cloud: every element with data-words="/path" gets a canvas on which wordcloud2.js
// (/static/wordcloud2.js) draws the words that path answers ({ words: [{ word, stories }] }), sized by
// stories; a click on a word opens data-href + the word (the articles search). Words are drawn on the canvas,
// never inserted as HTML.
'use strict';

(() => {
  /* global WordCloud */
  const PALETTE = ['#1d4ed8', '#b42318', '#067647', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#334155'];

  async function draw(el) {
    try {
      const res = await fetch(el.dataset.words, {
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      const { words } = await res.json();
      const list = (Array.isArray(words) ? words : []).map((w) => [String(w.word), Number(w.stories) || 1]);
      const max = list.reduce((m, w) => Math.max(m, w[1]), 1);
      const width = Math.max(280, el.clientWidth);
      const height = Math.round(Math.min(480, Math.max(260, width * 0.6)));
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
      el.replaceChildren(canvas);
      // Font sizes from 12 px to a sixth of the width (at most 64 px), by the square root of the weight.
      const top = Math.min(64, width / 6);
      let placed = 0;
      canvas.addEventListener('wordclouddrawn', (e) => {
        if (e.detail && e.detail.drawn) el.dataset.placed = String(++placed);
      });
      canvas.addEventListener('wordcloudstop', () => {
        el.dataset.state = 'drawn';
      });
      WordCloud(canvas, {
        list,
        gridSize: Math.max(4, Math.round(width / 120)),
        weightFactor: (w) => 12 + (top - 12) * Math.sqrt(w / max),
        fontFamily: '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
        color: (word) => PALETTE[[...word].reduce((h, c) => (h * 31 + c.codePointAt(0)) >>> 0, 7) % PALETTE.length],
        rotateRatio: 0,
        shuffle: false,
        drawOutOfBound: false,
        shrinkToFit: true,
        // A word that does not fit is shrunk until it does, or dropped below 13 px. weightFactor never goes
        // under 12 px, so without this floor a word that fits nowhere (a narrow phone) shrinks forever:
        // the stack overflows and the rest of the cloud is never drawn.
        minSize: 13,
        backgroundColor: 'transparent',
        classes: null,
        hover: (item) => {
          canvas.style.cursor = item ? 'pointer' : 'default';
          canvas.title = item ? `${item[0]} (${item[1]})` : '';
        },
        click: (item) => {
          if (item) window.location.assign(el.dataset.href + encodeURIComponent(item[0]));
        },
      });
    } catch (err) {
      el.dataset.state = 'error';
      el.setAttribute('data-error', String(err && err.message ? err.message : err));
    }
  }

  function init() {
    if (typeof WordCloud === 'undefined' || !WordCloud.isSupported) return;
    for (const el of document.querySelectorAll('[data-words]')) draw(el);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
