// Health details (admin): the start-up checks, model, engine and store status.
import { api } from '../api.js';
import { h, mount, section, table, errorBox } from '../dom.js';

/** @param {HTMLElement} root */
export function render(root) {
  const out = h('div', { 'data-testid': 'health' }, 'Loading…');
  mount(root, h('h1', null, 'Health'), out);
  api('/health/details').then(d => {
    mount(out,
      h('p', null, 'Overall: ', h('span', { class: `badge ${d.healthy ? 'succeeded' : 'failed'}` }, d.status),
        ` — ${d.passed} passed, ${d.failed} failed, ${d.skipped} skipped in ${d.elapsed_ms.toFixed(0)} ms`),
      table('Checks', ['Check', 'Outcome', 'Message', 'ms'], d.checks.map((/** @type {any} */ c) => [c.name, c.outcome, c.message, c.duration_ms.toFixed(1)])),
      section('Model', h('pre', { class: 'raw', tabindex: 0 }, JSON.stringify(d.model, null, 2))),
      section('Engine', h('pre', { class: 'raw', tabindex: 0 }, JSON.stringify(d.engine, null, 2))),
      section('Store', h('pre', { class: 'raw', tabindex: 0 }, JSON.stringify(d.store, null, 2))));
  }).catch(e => mount(out, errorBox(e)));
}
