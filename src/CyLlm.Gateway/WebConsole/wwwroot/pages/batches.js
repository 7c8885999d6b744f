// Batches of this key's tenant: progress from the request counts, output and error files downloaded with the key
// (fetched, then saved from a local blob: a file URL in a link would need the key in the URL).
import { api, blob } from '../api.js';
import { h, mount, table, errorBox, time, toast } from '../dom.js';

/** @param {HTMLElement} root */
export function render(root) {
  const body = h('div', { 'data-testid': 'batches' }, 'Loading…');
  mount(root, h('h1', null, 'Batches'),
    h('p', null, 'Create batches with POST /v1/batches (an uploaded JSONL file of requests); this page follows them.'),
    h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: load }, 'Refresh')), body);
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  let stopped = false;

  async function load() {
    clearTimeout(timer);
    try {
      const l = await api('/v1/batches?limit=100');
      if (stopped) return;
      mount(body, table('Batches of this tenant', ['Batch', 'Status', 'Progress', 'Created', 'Output', 'Actions'],
        l.data.map((/** @type {any} */ b) => {
          const c = b.request_counts || { total: 0, completed: 0, failed: 0 };
          const done = c.completed + c.failed;
          return [b.id, h('span', { class: `badge ${b.status}` }, b.status),
            h('span', null, h('progress', { max: Math.max(1, c.total), value: done, 'aria-label': `Batch ${b.id} progress` }), ` ${done}/${c.total}${c.failed ? ` (${c.failed} failed)` : ''}`),
            time(b.created_at),
            h('span', null, b.output_file_id ? h('button', { type: 'button', onclick: () => save(b.output_file_id, `${b.id}-output.jsonl`) }, 'Download output') : '—',
              b.error_file_id ? h('button', { type: 'button', onclick: () => save(b.error_file_id, `${b.id}-errors.jsonl`) }, 'Download errors') : null),
            ['validating', 'in_progress', 'finalizing'].includes(b.status)
              ? h('button', { type: 'button', class: 'danger', onclick: () => cancel(b.id) }, 'Cancel') : '—'];
        })));
      if (l.data.some((/** @type {any} */ b) => ['validating', 'in_progress', 'finalizing', 'cancelling'].includes(b.status))) timer = setTimeout(load, 2000);
    } catch (e) { mount(body, errorBox(e)); }
  }

  /** @param {string} fileId @param {string} name */
  async function save(fileId, name) {
    try {
      const data = await blob(`/v1/files/${encodeURIComponent(fileId)}/content`);
      const url = URL.createObjectURL(data);
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { toast(`Download failed: ${/** @type {any} */ (e).message}`); }
  }

  /** @param {string} id */
  async function cancel(id) {
    try { await api(`/v1/batches/${encodeURIComponent(id)}/cancel`, { method: 'POST' }); toast('Cancel requested.'); load(); } catch (e) { toast(/** @type {any} */ (e).message); }
  }

  load();
  return () => { stopped = true; clearTimeout(timer); };
}
