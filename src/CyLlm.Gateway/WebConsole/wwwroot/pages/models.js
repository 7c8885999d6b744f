// Models and adapters (admin): what is served, base models loaded and unloaded at run time (/v1/admin/models) and
// LoRA adapters (/v1/load_lora_adapter, /v1/unload_lora_adapter). Paths are paths on the server.
import { api } from '../api.js';
import { h, mount, field, section, table, errorBox, toast } from '../dom.js';

/** @param {HTMLElement} root */
export function render(root) {
  const list = h('div', { 'data-testid': 'models' }, 'Loading…');
  const modelPath = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'model-path', placeholder: '/models/qwen3-0.6b.gguf' }));
  const modelId = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'model-id', placeholder: 'default: the file name' }));
  const adapterName = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'adapter-name', placeholder: 'my-adapter' }));
  const adapterPath = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'adapter-path', placeholder: '/adapters/my-adapter' }));
  const status = h('div', { 'aria-live': 'polite' });
  const loadModel = h('form', { class: 'card', 'aria-labelledby': 'm-load' }, h('h2', { id: 'm-load' }, 'Load a base model'),
    h('div', { class: 'grid2' }, field('Model file or folder on the server', modelPath), field('Model id', modelId)),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Load model')));
  const loadAdapter = h('form', { class: 'card', 'aria-labelledby': 'a-load' }, h('h2', { id: 'a-load' }, 'Load a LoRA adapter'),
    h('div', { class: 'grid2' }, field('Adapter name', adapterName), field('PEFT folder or GGUF LoRA on the server', adapterPath)),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Load adapter')));
  mount(root, h('h1', null, 'Models and adapters'), status, section('Served models', list), loadModel, loadAdapter);

  async function load() {
    try {
      const l = await api('/v1/models');
      mount(list, table('Models and adapters', ['Id', 'Kind', 'Base', 'Architecture', 'Quantization', 'Context', 'Actions'],
        l.data.map((/** @type {any} */ m) => {
          const adapter = !!m.parent;
          // /v1/unload_lora_adapter takes the id listed here: "base:adapter", or a fine-tuned "ft:BASE:SUFFIX:JOB".
          const fineTuned = String(m.id).startsWith('ft:');
          return [m.id, fineTuned ? 'fine-tuned adapter' : adapter ? 'adapter' : 'base model', m.parent || '—', m.architecture || '—', m.quantization || '—', String(m.max_model_len),
            h('button', { type: 'button', class: 'danger', 'aria-label': `Unload ${m.id}`, onclick: () => unload(m.id, adapter) }, 'Unload')];
        })));
    } catch (e) { mount(list, errorBox(e)); }
  }

  /** @param {string} id @param {boolean} adapter */
  async function unload(id, adapter) {
    // A fine-tuned model comes back when the server restarts (its job succeeded); the confirmation says so.
    const note = id.startsWith('ft:') ? ' It is registered again when the server restarts.' : '';
    if (!confirm(`Unload ${id}?${note}`)) return;
    try {
      if (adapter) await api('/v1/unload_lora_adapter', { body: { lora_name: id } });
      else await api(`/v1/admin/models/${encodeURIComponent(id)}`, { method: 'DELETE' });
      toast(`Unloaded ${id}.`);
      load();
    } catch (e) { mount(status, errorBox(e)); }
  }

  loadModel.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      /** @type {Record<string, string>} */
      const body = { model: modelPath.value.trim() };
      if (modelId.value.trim()) body.id = modelId.value.trim();
      await api('/v1/admin/models', { body });
      toast('Model loading.');
      load();
    } catch (e) { mount(status, errorBox(e)); }
  });
  loadAdapter.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      await api('/v1/load_lora_adapter', { body: { lora_name: adapterName.value.trim(), lora_path: adapterPath.value.trim() } });
      toast('Adapter loaded.');
      load();
    } catch (e) { mount(status, errorBox(e)); }
  });
  load();
}
