// Fine-tuning: jobs of this key's tenant; a new LoRA job from an uploaded JSONL dataset (checked row by row here
// first, so every bad row is listed at once), and a job's live loss and learning-rate curves from its events.
import { api, upload } from '../api.js';
import { h, mount, field, section, table, errorBox, time, toast } from '../dom.js';
import { lineChart, whole } from '../charts.js';

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** @param {HTMLElement} root @param {import('../app.js').PageContext} ctx */
export function render(root, ctx) {
  const job = ctx.params.get('job');
  return job ? detail(root, ctx, job) : list(root, ctx);
}

/**
 * Checks a chat JSONL dataset row by row. @param {string} text
 * @returns {{row:number, error:string}[]}
 */
export function validateDataset(text) {
  /** @type {{row:number, error:string}[]} */
  const errors = [];
  const lines = text.split(/\r?\n/);
  let rows = 0;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    rows += 1;
    const row = i + 1;
    let obj;
    try { obj = JSON.parse(line); } catch (e) { errors.push({ row, error: `not JSON: ${/** @type {any} */ (e).message}` }); return; }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) { errors.push({ row, error: 'not a JSON object' }); return; }
    if (!Array.isArray(obj.messages) || obj.messages.length === 0) { errors.push({ row, error: "needs a non-empty 'messages' array" }); return; }
    obj.messages.forEach((/** @type {any} */ m, j) => {
      if (!m || !['system', 'user', 'assistant', 'tool'].includes(m.role)) errors.push({ row, error: `messages[${j}].role must be system, user, assistant or tool` });
      else if (typeof m.content !== 'string' && !(m.role === 'assistant' && Array.isArray(m.tool_calls))) errors.push({ row, error: `messages[${j}].content must be a string` });
    });
    if (!obj.messages.some((/** @type {any} */ m) => m && m.role === 'assistant')) errors.push({ row, error: 'has no assistant message to learn from' });
  });
  if (rows === 0) errors.push({ row: 0, error: 'the file has no rows' });
  return errors;
}

/** @param {HTMLElement} root @param {import('../app.js').PageContext} ctx */
function list(root, ctx) {
  const jobs = h('div', { 'data-testid': 'jobs' }, 'Loading…');
  const fileInput = /** @type {HTMLInputElement} */ (h('input', { type: 'file', accept: '.jsonl,application/jsonl,application/json', name: 'dataset' }));
  const model = /** @type {HTMLSelectElement} */ (h('select', { name: 'base-model' }));
  const suffix = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'suffix', maxlength: 40, placeholder: 'my-adapter' }));
  const epochs = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 1, max: 1000, value: '3', name: 'epochs' }));
  const batch = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 1, max: 256, value: '4', name: 'batch-size' }));
  const lr = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0.0001, max: 100, step: 'any', value: '1', name: 'lr-multiplier' }));
  const rank = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 1, max: 256, value: '8', name: 'lora-rank' }));
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'create-status' });
  const create = h('form', { class: 'card', 'aria-labelledby': 'ft-new' },
    h('h2', { id: 'ft-new' }, 'New LoRA fine-tuning job'),
    field('Training data (chat JSONL)', fileInput, 'One {"messages":[…]} object per line'),
    h('div', { class: 'grid2' }, field('Base model', model), field('Suffix', suffix)),
    h('div', { class: 'grid4' }, field('Epochs', epochs), field('Batch size', batch), field('Learning-rate multiplier', lr), field('LoRA rank', rank)),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Upload and start')),
    status);
  mount(root, h('h1', null, 'Fine-tuning'), create, section('Jobs', h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: load }, 'Refresh')), jobs));

  api('/v1/models').then(l => mount(model, ...l.data.filter((/** @type {any} */ m) => !String(m.id).startsWith('ft:'))
    .map((/** @type {any} */ m) => h('option', { value: m.id }, m.id)))).catch(e => mount(status, errorBox(e)));

  async function load() {
    try {
      const l = await api('/v1/fine_tuning/jobs?limit=100');
      mount(jobs, table('Fine-tuning jobs of this tenant', ['Job', 'Model', 'Status', 'Fine-tuned model', 'Created'],
        l.data.map((/** @type {any} */ j) => [h('a', { href: `#/fine-tuning?job=${encodeURIComponent(j.id)}` }, j.id), j.model,
          h('span', { class: `badge ${j.status}` }, j.status), j.fine_tuned_model || '—', time(j.created_at)])));
    } catch (e) { mount(jobs, errorBox(e)); }
  }
  load();

  create.addEventListener('submit', async ev => {
    ev.preventDefault();
    const file = fileInput.files && fileInput.files[0];
    if (!file) { mount(status, errorBox({ message: 'Choose a training file.' })); fileInput.focus(); return; }
    const text = await file.text();
    const errors = validateDataset(text);
    if (errors.length) {
      mount(status, h('div', { class: 'error', role: 'alert', 'data-testid': 'row-errors' },
        h('p', null, `The dataset has ${errors.length} problem${errors.length > 1 ? 's' : ''}; nothing was uploaded.`),
        table('Rows with errors', ['Row', 'Problem'], errors.slice(0, 200).map(e => [String(e.row), e.error]))));
      return;
    }
    mount(status, 'Uploading…');
    try {
      const f = await upload(file, file.name, 'fine-tune');
      mount(status, 'Starting the job…');
      /** @type {Record<string, any>} */
      const body = {
        model: model.value, training_file: f.id,
        hyperparameters: { n_epochs: Number(epochs.value), batch_size: Number(batch.value), learning_rate_multiplier: Number(lr.value) },
        lora: { rank: Number(rank.value) },
      };
      if (suffix.value.trim()) body.suffix = suffix.value.trim();
      const j = await api('/v1/fine_tuning/jobs', { body });
      toast(`Started ${j.id}.`);
      ctx.go(`#/fine-tuning?job=${encodeURIComponent(j.id)}`);
    } catch (e) {
      // The server's upload check may refuse rows this page's check let through: show its list, row by row.
      const rows = /** @type {any} */ (e).rowErrors;
      if (Array.isArray(rows) && rows.length) {
        mount(status, h('div', { class: 'error', role: 'alert', 'data-testid': 'server-row-errors' },
          h('p', null, /** @type {any} */ (e).message),
          table('Rows the server refused', ['Line', 'Field', 'Problem'],
            rows.map((/** @type {any} */ r) => [String(r.line), r.field || '—', String(r.message)]))));
      } else mount(status, errorBox(e));
    }
  });
}

/** @param {HTMLElement} root @param {import('../app.js').PageContext} ctx @param {string} id */
function detail(root, ctx, id) {
  const head = h('div', { 'data-testid': 'job-head' }, 'Loading…');
  const charts = h('div', { class: 'charts' });
  const checkpoints = h('div');
  const events = h('div');
  const actions = h('div', { class: 'buttons' });
  mount(root, h('p', null, h('a', { href: '#/fine-tuning' }, '← All jobs')), h('h1', null, `Job ${id}`), head, actions,
    section('Training curves', charts), section('Checkpoints', checkpoints), section('Events', events));
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;

  async function allEvents() {
    /** @type {any[]} */
    const out = [];
    let after = '';
    for (let i = 0; i < 20; i++) {
      const page = await api(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/events?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      out.push(...page.data);
      if (!page.has_more || !page.data.length) break;
      after = page.data[page.data.length - 1].id;
    }
    return out;
  }

  async function tick() {
    try {
      const [j, ev, cps] = await Promise.all([
        api(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}`), allEvents(),
        api(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/checkpoints?limit=100`)]);
      if (stopped) return;
      const pair = (/** @type {string} */ k, /** @type {any} */ v, /** @type {string|null} */ id = null) => h('div', null, h('dt', null, k), h('dd', { 'data-testid': id }, v));
      mount(head, h('dl', { class: 'stats' },
        pair('Status', h('span', { class: `badge ${j.status}` }, j.status), 'job-status'),
        pair('Base model', j.model),
        pair('Fine-tuned model', j.fine_tuned_model || '—', 'job-model'),
        pair('Trained tokens', j.trained_tokens == null ? '—' : String(j.trained_tokens)),
        pair('Created', time(j.created_at)),
        pair('Finished', time(j.finished_at))),
        j.error ? errorBox(j.error) : null);
      const metrics = ev.filter(e => e.type === 'metrics' && e.data).map(e => e.data).sort((a, b) => a.step - b.step);
      const pts = (/** @type {string} */ k) => metrics.filter(m => typeof m[k] === 'number').map(m => /** @type {[number, number]} */ ([m.step, m[k]]));
      mount(charts,
        lineChart({ title: 'Loss by step', testid: 'loss-chart', xFormat: whole, series: [{ name: 'training loss', points: pts('train_loss') }, { name: 'validation loss', points: pts('valid_loss') }] }),
        lineChart({ title: 'Learning rate by step', testid: 'lr-chart', xFormat: whole, series: [{ name: 'learning rate', points: pts('learning_rate') }] }));
      mount(checkpoints, table('Checkpoints', ['Step', 'Checkpoint', 'Train loss', 'Created'],
        cps.data.map((/** @type {any} */ c) => [String(c.step_number), c.fine_tuned_model_checkpoint,
          c.metrics && c.metrics.train_loss != null ? c.metrics.train_loss.toFixed(4) : '—', time(c.created_at)])));
      mount(events, table('Latest events', ['Time', 'Level', 'Message'], ev.slice(0, 30).map(e => [time(e.created_at), e.level, e.message])));
      const done = TERMINAL.includes(j.status);
      mount(actions,
        !done ? h('button', { type: 'button', class: 'danger', onclick: async () => {
          try { await api(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }); toast('Cancel requested.'); } catch (e) { mount(actions, errorBox(e)); }
        } }, 'Cancel job') : null,
        j.status === 'succeeded' && j.fine_tuned_model
          ? h('a', { class: 'button primary', href: `#/playground?model=${encodeURIComponent(j.fine_tuned_model)}`, 'data-testid': 'chat-with-result' }, 'Chat with the result')
          : null);
      if (!done) timer = setTimeout(tick, 1000);
    } catch (e) {
      if (!stopped) { mount(head, errorBox(e)); timer = setTimeout(tick, 3000); }
    }
  }
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
