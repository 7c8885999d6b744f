// Durable tasks of this key's tenant (fine-tuning jobs, batches, model pulls): their stage and progress.
import { api } from '../api.js';
import { h, mount, table, errorBox, time } from '../dom.js';

/** @param {HTMLElement} root */
export function render(root) {
  const body = h('div', { 'data-testid': 'tasks' }, 'Loading…');
  mount(root, h('h1', null, 'Tasks'), h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: load }, 'Refresh')), body);
  async function load() {
    try {
      const l = await api('/v1/tasks?limit=100');
      mount(body, table('Tasks of this tenant', ['Task', 'Kind', 'Status', 'Stage', 'Progress', 'Updated', 'Error'],
        l.data.map((/** @type {any} */ t) => [t.id, t.kind, h('span', { class: `badge ${t.status}` }, t.status), t.stage,
          h('span', null, h('progress', { max: 100, value: t.progress, 'aria-label': `Task ${t.id} progress` }), ` ${t.progress}%`),
          time(t.updated_at), t.error ? t.error.message : '—'])));
    } catch (e) { mount(body, errorBox(e)); }
  }
  load();
}
