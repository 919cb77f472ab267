// finrep console: a run's page, live. Follows /runs/<id>/events (Server-Sent Events): appends each event to
// the list, rewrites the stage rows from each `stages` snapshot, and at `end` shows the final status and the
// links to the report. Labels come translated in the stream, and never a path on the server. The page works
// without this script (console.js reloads it while the run runs); with it, that reload is switched off here,
// before console.js looks for it.
'use strict';

(() => {
  const root = document.querySelector('.run-live[data-run]');
  if (!root || typeof EventSource !== 'function') return;
  root.removeAttribute('data-reload');
  const runId = root.getAttribute('data-run');
  const after = root.getAttribute('data-last-event') || '0';
  const list = root.querySelector('[data-events]');
  const tbody = root.querySelector('[data-stages] tbody');
  const TONES = { ok: 'ok', running: 'info', partial: 'warn', failed: 'bad' };

  const el = (tag, className, text) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const badge = (status, label) => el('span', `badge ${TONES[status] || 'muted'}`, label || status);
  // The edition's links (web view, workbook, mail), rendered by the server in the hidden report-links line.
  const reportFiles = () => root.querySelector('[data-report-links] .report-files');

  function addEvent(e) {
    if (!list || list.querySelector(`li[data-id="${e.id}"]`)) return;
    const li = el('li', `ev-${e.kind}`);
    li.setAttribute('data-id', String(e.id));
    li.append(el('time', '', e.time), ' ', el('span', 'mark', e.mark), ' ');
    if (e.stage) li.append(el('strong', '', `${e.stageLabel || e.stage}: `));
    li.append(el('span', 'msg', e.message));
    list.append(li);
    const none = root.querySelector('[data-no-events]');
    if (none) none.remove();
  }

  function setStages(stages) {
    if (!tbody) return;
    for (const s of stages) {
      let tr = tbody.querySelector(`tr[data-stage="${CSS.escape(s.stage)}"]`);
      if (!tr) {
        tr = el('tr');
        tr.setAttribute('data-stage', s.stage);
        for (const c of ['stage-name', 'stage-status', 'stage-start', 'num stage-duration', 'stage-result'])
          tr.append(el('td', c));
        tbody.append(tr);
      }
      const cells = tr.children;
      cells[0].textContent = s.stageLabel || s.stage;
      cells[1].replaceChildren(badge(s.status, s.statusLabel), ' ', el('span', 'progress', s.progress));
      cells[2].textContent = s.started;
      cells[3].textContent = s.duration;
      cells[4].textContent = s.result;
      const files = s.stage === 'compose' && s.status === 'ok' && reportFiles();
      if (files) cells[4].append(' ', files.cloneNode(true));
      cells[4].className = s.failed ? 'stage-result error-text' : 'stage-result';
    }
  }

  function finish(end) {
    const status = root.querySelector('[data-run-status]');
    if (status) {
      status.textContent = end.label || end.status;
      status.parentElement.className = `badge ${TONES[end.status] || 'muted'}`;
    }
    const note = root.querySelector('.live-note');
    if (note)
      note.textContent = ` ${(root.getAttribute('data-finished-label') || '{status}').replace('{status}', end.label || end.status)}`;
    const links = root.querySelector('[data-report-links]');
    if (links) links.hidden = false;
    root.setAttribute('data-ended', end.status);
  }

  const source = new EventSource(`/runs/${encodeURIComponent(runId)}/events?after=${encodeURIComponent(after)}`);
  source.addEventListener('run', (m) => addEvent(JSON.parse(m.data)));
  source.addEventListener('stages', (m) => setStages(JSON.parse(m.data)));
  source.addEventListener('end', (m) => {
    source.close();
    finish(JSON.parse(m.data));
  });
  // Refused (too many streams) or the server went away for good: fall back to reloading the page.
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) setTimeout(() => window.location.reload(), 10_000);
  });
})();
