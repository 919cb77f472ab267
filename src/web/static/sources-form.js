// finrep console, a source's form: the rule fields follow the chosen kind (a feed has no selectors, only
// dynamic sources wait for a selector). Without this script every field shows; the server decides anyway.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  const form = document.querySelector('form.src-form');
  const kind = form && form.querySelector('select[name=kind]');
  if (!form || !kind) return;
  kind.addEventListener('change', () => {
    form.dataset.kind = kind.value;
  });
});
