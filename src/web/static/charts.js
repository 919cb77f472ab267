// finrep console charts: every element with data-chart="/path" is drawn by ECharts from the JSON that path
// answers (an ECharts option, or { option }), and redrawn every data-refresh seconds. The server builds the
// option; this file only draws it, so no chart code runs inline (CSP) and pages stay testable as JSON.
'use strict';

(() => {
  /* global echarts */
  const charts = [];

  async function load(el, chart) {
    try {
      const res = await fetch(el.dataset.chart, {
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      const body = await res.json();
      const option = body && body.option ? body.option : body;
      chart.setOption(option, true);
      el.dataset.state = 'drawn';
      el.removeAttribute('data-error');
    } catch (err) {
      el.dataset.state = 'error';
      el.setAttribute('data-error', String(err && err.message ? err.message : err));
    }
  }

  function init() {
    if (typeof echarts === 'undefined') return;
    for (const el of document.querySelectorAll('[data-chart]')) {
      el.style.height = `${Number(el.dataset.height) || 280}px`;
      const chart = echarts.init(el, null, { renderer: 'canvas' });
      charts.push(chart);
      load(el, chart);
      const every = Number(el.dataset.refresh);
      if (every > 0)
        setInterval(() => {
          if (document.visibilityState === 'visible') load(el, chart);
        }, every * 1000);
    }
    window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
