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

// On a phone the section bar scrolls sideways: bring the current section into view, so that a page whose
// section sits past the screen's edge (收件人, 审计日志) still shows where one is.
document.addEventListener('DOMContentLoaded', () => {
  const nav = document.querySelector('nav.sections');
  const current = nav && nav.querySelector('[aria-current="page"]');
  if (!current || nav.scrollWidth <= nav.clientWidth) return;
  nav.scrollLeft = current.offsetLeft - nav.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
});
