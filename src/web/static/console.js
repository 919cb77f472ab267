// finrep console: the little every page needs from a script (the CSP allows no inline script, so behaviour is
// declared with data- attributes and wired here). Pages work without it; it only asks before destructive
// actions and refreshes pages that ask to be.
'use strict';

document.addEventListener('submit', (e) => {
  const form = e.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) e.preventDefault();
});

// <body data-reload="30">: reload the page every N seconds while it is visible (a run's page, the status).
document.addEventListener('DOMContentLoaded', () => {
  const el = document.querySelector('[data-reload]');
  const secs = el ? Number(el.getAttribute('data-reload')) : 0;
  if (secs > 0)
    setInterval(() => {
      if (document.visibilityState === 'visible') window.location.reload();
    }, secs * 1000);
});
