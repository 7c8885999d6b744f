// Live engine charts (admin): GET /status every two seconds — waiting and running sequences, KV usage, prefix-cache
// hit rate — and the TTFT / inter-token latency percentiles over the engine's sliding window.
import { api } from '../api.js';
import { h, mount, section, table, errorBox } from '../dom.js';
import { lineChart, clockSeconds } from '../charts.js';

const KEEP = 150;

/**
 * Sums every sample of one metric in Prometheus text (all label sets). @param {string} text @param {string} name
 * @returns {number|null} null when the metric is absent
 */
export function promSum(text, name) {
  let sum = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** @param {HTMLElement} root @param {import('../app.js').PageContext} ctx */
export function render(root, ctx) {
  const charts = h('div', { class: 'charts', 'data-testid': 'engine-charts' });
  const latency = h('div');
  const err = h('div');
  mount(root, h('h1', null, 'Engine'), err, section('Live (every 2 s)', charts), section('Latency percentiles', latency));
  /** @type {{t:number, s:any}[]} */
  const history = [];
  /** @type {{t:number, prompt:number, gen:number}[]} */
  const counters = [];
  /** @type {[number, number][]} */
  const promptRate = [], genRate = [];
  // /metrics names every tenant, so only operator keys may read it: others see the /status charts only.
  let metricsOk = ctx.me.operator;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  let stopped = false;
  const ms = (/** @type {number} */ v) => `${(v * 1000).toFixed(1)} ms`;
  const axisMs = (/** @type {number} */ v) => `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)}ms`;

  async function tick() {
    try {
      const st = await api('/status');
      if (stopped) return;
      if (metricsOk) {
        try {
          const text = await api('/metrics');
          const now = Date.now() / 1000;
          const c = { t: now, prompt: promSum(text, 'cyllm_prompt_tokens_total') ?? 0, gen: promSum(text, 'cyllm_generation_tokens_total') ?? 0 };
          const prev = counters[counters.length - 1];
          if (prev && now > prev.t) {
            promptRate.push([now, Math.max(0, (c.prompt - prev.prompt) / (now - prev.t))]);
            genRate.push([now, Math.max(0, (c.gen - prev.gen) / (now - prev.t))]);
            if (promptRate.length > KEEP) { promptRate.shift(); genRate.shift(); }
          }
          counters.push(c);
          if (counters.length > 2) counters.shift();
        } catch { metricsOk = false; }
      }
      mount(err);
      history.push({ t: Date.now() / 1000, s: st.engine });
      if (history.length > KEEP) history.shift();
      const pts = (/** @type {(s:any)=>number} */ f) => history.map(x => /** @type {[number, number]} */ ([x.t, f(x.s)]));
      const pct = (/** @type {number} */ v) => `${(v * 100).toFixed(0)}%`;
      mount(charts,
        lineChart({ title: 'Queue and running sequences', testid: 'queue-chart', xFormat: clockSeconds, series: [{ name: 'waiting', points: pts(s => s.waiting) }, { name: 'running', points: pts(s => s.running) }] }),
        lineChart({ title: 'KV-cache usage', xFormat: clockSeconds, yFormat: pct, series: [{ name: 'KV used', points: pts(s => s.kv_usage) }] }),
        lineChart({ title: 'Prefix-cache hit rate', xFormat: clockSeconds, yFormat: pct, series: [{ name: 'hit rate', points: pts(s => s.prefix_hit_rate) }] }),
        lineChart({ title: 'Time to first token', xFormat: clockSeconds, yFormat: axisMs, series: [
          { name: 'p50', points: pts(s => s.time_to_first_token.p50) }, { name: 'p95', points: pts(s => s.time_to_first_token.p95) }, { name: 'p99', points: pts(s => s.time_to_first_token.p99) }] }),
        lineChart({ title: 'Inter-token latency', xFormat: clockSeconds, yFormat: axisMs, series: [
          { name: 'p50', points: pts(s => s.inter_token_latency.p50) }, { name: 'p95', points: pts(s => s.inter_token_latency.p95) }, { name: 'p99', points: pts(s => s.inter_token_latency.p99) }] }),
        metricsOk ? lineChart({ title: 'Tokens per second (/metrics)', testid: 'token-rate', xFormat: clockSeconds, series: [
          { name: 'prompt', points: promptRate }, { name: 'generated', points: genRate }] }) : null);
      const e = st.engine;
      const row = (/** @type {string} */ n, /** @type {any} */ p) => [n, String(p.samples), ms(p.p50), ms(p.p95), ms(p.p99)];
      mount(latency, table(`Model ${st.model}`, ['Latency', 'Samples', 'p50', 'p95', 'p99'], [
        row('Queue time', e.queue_time), row('Time to first token', e.time_to_first_token), row('Inter-token latency', e.inter_token_latency), row('End to end', e.end_to_end)]),
      h('p', null, `Running ${e.running}, waiting ${e.waiting}, KV blocks ${e.used_blocks}/${e.total_blocks}, preemptions ${e.preemptions}. Prometheus metrics: /metrics.`));
    } catch (e) { if (!stopped) mount(err, errorBox(e)); }
    if (!stopped) timer = setTimeout(tick, 2000);
  }
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
