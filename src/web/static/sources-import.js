// finrep console, sources import: a chosen file is read into the text box (and its format guessed from the
// name), so the form posts text; pasting works without this script.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  const input = document.querySelector('input[type=file][data-fills]');
  if (!input) return;
  const form = input.form;
  const target = form && form.querySelector(`textarea[name=${input.dataset.fills}]`);
  const format = form && form.querySelector('select[name=format]');
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file || !target) return;
    target.value = await file.text();
    const name = file.name.toLowerCase();
    if (format) format.value = /\.(opml|xml)$/.test(name) ? 'opml' : /\.json$/.test(name) ? 'json' : 'yaml';
  });
});
