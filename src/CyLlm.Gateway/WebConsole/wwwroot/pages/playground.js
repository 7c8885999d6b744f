// Playground: a streamed chat with any served model or adapter, with TTFT, tokens/s, token counts, the raw exchange,
// a stop button that aborts the fetch (the server sees the connection close and cancels the request), and the same
// request as curl or OpenAI SDK code.
import { api, stream } from '../api.js';
import { h, mount, field, section, errorBox, copy } from '../dom.js';

/** @param {HTMLElement} root @param {import('../app.js').PageContext} ctx */
export function render(root, ctx) {
  const model = /** @type {HTMLSelectElement} */ (h('select', { name: 'model' }));
  const system = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 2, name: 'system', placeholder: 'You are a helpful assistant.' }));
  const prompt = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 3, name: 'prompt', placeholder: 'Ask something…' }));
  const temperature = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, max: 2, step: 0.1, value: '0.7', name: 'temperature' }));
  const topP = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, max: 1, step: 0.05, value: '1', name: 'top_p' }));
  const maxTokens = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 1, step: 1, value: '128', name: 'max_tokens' }));
  const seed = /** @type {HTMLInputElement} */ (h('input', { type: 'number', step: 1, name: 'seed', placeholder: 'random' }));
  const schema = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 4, name: 'json_schema', placeholder: '{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}' }));
  const tools = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 4, name: 'tools', placeholder: '[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]' }));
  const send = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary' }, 'Send'));
  const stop = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', disabled: true }, 'Stop'));
  const clear = h('button', { type: 'button' }, 'Clear chat');
  // Focusable: a long conversation scrolls inside it, and keyboard users must be able to scroll it (axe scrollable-region-focusable).
  const log = h('div', { class: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: 0, 'data-testid': 'transcript' });
  const stats = h('dl', { class: 'stats', 'data-testid': 'stats' });
  const status = h('div', { 'data-testid': 'chat-status', 'aria-live': 'polite' });
  const rawRequest = h('pre', { class: 'raw', 'data-testid': 'raw-request', tabindex: 0 });
  const rawResponse = h('pre', { class: 'raw', 'data-testid': 'raw-response', tabindex: 0 });
  const snippet = h('pre', { class: 'raw', 'data-testid': 'snippet', tabindex: 0 });
  /** @type {{role:string, content:string}[]} */
  let history = [];
  /** @type {AbortController|null} */
  let running = null;
  let lastBody = null;

  const form = h('form', { class: 'card playground-form', 'aria-labelledby': 'pg-title' },
    h('h1', { id: 'pg-title' }, 'Playground'),
    h('div', { class: 'grid2' },
      field('Model or adapter', model),
      field('Seed', seed, 'Empty: random')),
    field('System prompt', system),
    h('div', { class: 'grid3' },
      field('Temperature', temperature), field('Top p', topP), field('Max tokens', maxTokens)),
    h('details', null, h('summary', null, 'Structured output and tools'),
      field('JSON schema (response_format)', schema, 'Optional: the answer is constrained to this schema'),
      field('Tools (JSON array)', tools, 'Optional: OpenAI tool definitions')),
    log,
    field('Message', prompt),
    h('div', { class: 'buttons' }, send, stop, clear),
    status, stats);

  const raw = section('Raw request and response',
    h('h3', null, 'Request'), rawRequest, h('h3', null, 'Response (SSE data)'), rawResponse);
  const code = section('Copy as code',
    h('div', { class: 'buttons' },
      h('button', { type: 'button', onclick: () => copy(curl(lastBody ?? body())) }, 'Copy as curl'),
      h('button', { type: 'button', onclick: () => copy(sdk(lastBody ?? body())) }, 'Copy as OpenAI SDK (Python)'),
      h('button', { type: 'button', onclick: () => { snippet.textContent = curl(lastBody ?? body()); } }, 'Show curl'),
      h('button', { type: 'button', onclick: () => { snippet.textContent = sdk(lastBody ?? body()); } }, 'Show SDK code')),
    snippet);
  mount(root, form, raw, code);

  api('/v1/models').then(list => {
    const ids = list.data.map((/** @type {any} */ m) => m.id);
    /** @type {Map<string, number>} */
    const context = new Map(list.data.map((/** @type {any} */ m) => [m.id, m.max_model_len]));
    // The built-in model has a short context: keep max_tokens within the chosen model's, with room for a prompt.
    const fit = () => {
      const n = context.get(model.value);
      if (!n) return;
      maxTokens.max = String(n);
      if (Number(maxTokens.value) > n / 2) maxTokens.value = String(Math.max(1, Math.floor(n / 2)));
    };
    model.addEventListener('change', fit);
    mount(model, ...ids.map((/** @type {string} */ id) => h('option', { value: id }, id)));
    const wanted = ctx.params.get('model');
    if (wanted && ids.includes(wanted)) model.value = wanted;
    fit();
    form.dataset.ready = 'true';
  }).catch(e => mount(status, errorBox(e)));

  function body() {
    const messages = [];
    if (system.value.trim()) messages.push({ role: 'system', content: system.value.trim() });
    messages.push(...history);
    if (prompt.value.trim()) messages.push({ role: 'user', content: prompt.value.trim() });
    /** @type {Record<string, any>} */
    const b = { model: model.value, messages, stream: true, stream_options: { include_usage: true } };
    if (temperature.value !== '') b.temperature = Number(temperature.value);
    if (topP.value !== '') b.top_p = Number(topP.value);
    if (maxTokens.value !== '') b.max_tokens = Number(maxTokens.value);
    if (seed.value !== '') b.seed = Number(seed.value);
    if (schema.value.trim()) b.response_format = { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema: JSON.parse(schema.value) } };
    if (tools.value.trim()) b.tools = JSON.parse(tools.value);
    return b;
  }

  /** @param {string} role @param {string} text */
  function bubble(role, text) {
    const content = h('div', { class: 'content' }, text);
    const el = h('div', { class: `msg ${role}` }, h('span', { class: 'role' }, role === 'user' ? 'You' : 'Model'), content);
    log.append(el);
    return content;
  }

  /** @param {Record<string, string>} values */
  function showStats(values) {
    mount(stats, ...Object.entries(values).map(([k, v]) => h('div', null, h('dt', null, k), h('dd', { 'data-stat': k }, v))));
  }

  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    if (running) return;
    let b;
    try { b = body(); } catch (e) { mount(status, errorBox({ message: `Invalid JSON in the schema or tools: ${/** @type {any} */ (e).message}` })); return; }
    if (!prompt.value.trim()) { mount(status, errorBox({ message: 'Write a message first.' })); prompt.focus(); return; }
    lastBody = b;
    rawRequest.textContent = JSON.stringify(b, null, 2);
    rawResponse.textContent = '';
    const userText = prompt.value.trim();
    bubble('user', userText);
    prompt.value = '';
    const answer = bubble('assistant', '');
    answer.dataset.testid = 'answer';
    running = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    mount(status, 'Generating…');
    const started = performance.now();
    let first = 0, chunks = 0, text = '';
    /** @type {any} */
    let usage = null, finish = '';
    /** @type {any[]} */
    const toolCalls = [];
    const update = () => {
      const now = performance.now();
      const gen = first ? (now - first) / 1000 : 0;
      const tokens = usage ? usage.completion_tokens : chunks;
      showStats({
        TTFT: first ? `${Math.round(first - started)} ms` : '—',
        'Tokens/s': gen > 0 && tokens > 1 ? ((tokens - 1) / gen).toFixed(1) : '—',
        'Prompt tokens': usage ? String(usage.prompt_tokens) : '—',
        'Completion tokens': String(tokens),
        Finish: finish || '—',
      });
    };
    try {
      await stream('/v1/chat/completions', b, running.signal, data => {
        rawResponse.textContent += JSON.stringify(data) + '\n';
        if (data.usage) usage = data.usage;
        const choice = data.choices && data.choices[0];
        if (choice) {
          const delta = choice.delta || {};
          if (delta.content) {
            if (!first) first = performance.now();
            chunks += 1;
            text += delta.content;
            answer.textContent = text;
          }
          for (const tc of delta.tool_calls || []) {
            if (!first) first = performance.now();
            const slot = toolCalls[tc.index] || (toolCalls[tc.index] = { id: tc.id, name: '', arguments: '' });
            if (tc.function?.name) slot.name += tc.function.name;
            if (tc.function?.arguments) slot.arguments += tc.function.arguments;
            answer.textContent = toolCalls.map(t => `tool call ${t.name}(${t.arguments})`).join('\n');
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        update();
      });
      history.push({ role: 'user', content: userText }, { role: 'assistant', content: text });
      mount(status, h('span', { 'data-testid': 'done' }, 'Done.'));
    } catch (e) {
      if (/** @type {any} */ (e).name === 'AbortError') {
        finish = 'stopped';
        mount(status, h('span', { 'data-testid': 'stopped' }, 'Stopped: the request was cancelled.'));
      } else {
        mount(status, errorBox(e));
      }
    } finally {
      update();
      running = null;
      send.disabled = false;
      stop.disabled = true;
    }
  });
  stop.addEventListener('click', () => { running?.abort(); });
  clear.addEventListener('click', () => { history = []; mount(log); mount(stats); mount(status); });
  return () => { running?.abort(); };
}

/** The request as a curl command; the key is read from $CYLLM_API_KEY, never written into the snippet. @param {any} b */
function curl(b) {
  const json = JSON.stringify(b).replace(/'/g, "'\\''");
  return `curl ${location.origin}/v1/chat/completions \\\n  -H "Authorization: Bearer $CYLLM_API_KEY" \\\n  -H 'Content-Type: application/json' \\\n  -d '${json}'`;
}

/** The request as OpenAI Python SDK code. @param {any} b */
function sdk(b) {
  const { model, messages, stream: s, stream_options: _, ...rest } = b;
  const extra = Object.entries(rest).map(([k, v]) => `    ${k}=${py(v)},\n`).join('');
  return `import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url="${location.origin}/v1", api_key=os.environ["CYLLM_API_KEY"])\n` +
    `stream = client.chat.completions.create(\n    model=${py(model)},\n    messages=${py(messages)},\n${extra}    stream=True,\n)\n` +
    `for chunk in stream:\n    if chunk.choices and chunk.choices[0].delta.content:\n        print(chunk.choices[0].delta.content, end="", flush=True)\n`;
}

/** JSON as a Python literal. @param {any} v @returns {string} */
function py(v) {
  return JSON.stringify(v).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None');
}
