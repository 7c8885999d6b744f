// Usage over time. An admin key: its tenant's audit log (an operator: any tenant's) per hour and per key prefix.
// An inference key: its own requests from GET /v1/me/usage (it may not read the tenant's audit rows).
import { api } from '../api.js';
import { h, mount, field, section, table, errorBox } from '../dom.js';
import { lineChart, clock } from '../charts.js';

/** @param {HTMLElement} root @param {import('../app.js').PageContext} ctx */
export function render(root, ctx) {
  const isAdmin = ctx.me.scopes.includes('admin');
  const hours = /** @type {HTMLSelectElement} */ (h('select', { name: 'hours' },
    h('option', { value: '1' }, 'Last hour'), h('option', { value: '24', selected: true }, 'Last 24 hours'), h('option', { value: '168' }, 'Last 7 days')));
  const tenant = /** @type {HTMLSelectElement} */ (h('select', { name: 'tenant' }, h('option', { value: ctx.me.tenant }, ctx.me.tenant)));
  const out = h('div', { 'data-testid': 'usage' }, 'Loading…');
  const controls = h('div', { class: 'grid2' }, field('Period', hours), isAdmin && ctx.me.operator ? field('Tenant', tenant) : null);
  mount(root, h('h1', null, isAdmin ? 'Usage' : 'My usage'), controls, out);
  hours.addEventListener('change', load);
  tenant.addEventListener('change', load);
  if (isAdmin && ctx.me.operator) {
    api('/v1/admin/tenants').then(l => {
      const ids = l.data.map((/** @type {any} */ t) => t.id);
      if (!ids.includes(ctx.me.tenant)) ids.unshift(ctx.me.tenant);
      mount(tenant, ...ids.map((/** @type {string} */ id) => h('option', { value: id, selected: id === ctx.me.tenant }, id)));
    }).catch(() => { /* the own tenant stays selectable */ });
  }

  async function load() {
    const hrs = Number(hours.value);
    try {
      if (!isAdmin) {
        const u = await api(`/v1/me/usage?hours=${hrs}`);
        /** @type {Map<number, any>} */
        const got = new Map(u.data.map((/** @type {any} */ b) => [b.start, b]));
        const starts = buckets(u.since, u.bucket_seconds);
        const pts = (/** @type {string} */ k) => starts.map(t => /** @type {[number, number]} */ ([t, got.get(t)?.[k] ?? 0]));
        mount(out,
          section(`Key ${u.key_prefix || ''}`, h('div', { class: 'charts' },
            lineChart({ title: 'Requests', xFormat: clock, series: [{ name: 'requests', points: pts('requests') }, { name: 'errors', points: pts('errors') }] }),
            lineChart({ title: 'Tokens', xFormat: clock, series: [{ name: 'prompt', points: pts('prompt_tokens') }, { name: 'completion', points: pts('completion_tokens') }] }))),
          table('Per bucket', ['Start (UTC)', 'Requests', 'Errors', 'Prompt tokens', 'Completion tokens'],
            u.data.map((/** @type {any} */ b) => [new Date(b.start * 1000).toISOString().slice(0, 16).replace('T', ' '), b.requests, b.errors, b.prompt_tokens, b.completion_tokens])));
        return;
      }
      const since = Math.floor(Date.now() / 1000) - hrs * 3600;
      const rows = (await api(`/v1/admin/audit?tenant=${encodeURIComponent(tenant.value)}&since=${since}&limit=10000`)).data;
      const bucket = hrs <= 24 ? 3600 : 86400;
      /** @type {Map<number, {requests:number, errors:number, prompt:number, completion:number}>} */
      const byTime = new Map();
      /** @type {Map<string, {requests:number, errors:number, prompt:number, completion:number}>} */
      const byKey = new Map();
      for (const r of rows) {
        const t = Math.floor(r.at / 1000 / bucket) * bucket;
        for (const [map, k] of /** @type {[Map<any, any>, any][]} */ ([[byTime, t], [byKey, r.key_prefix || '(no key)']])) {
          const a = map.get(k) || { requests: 0, errors: 0, prompt: 0, completion: 0 };
          a.requests += 1; a.errors += r.status >= 400 ? 1 : 0; a.prompt += r.prompt_tokens; a.completion += r.completion_tokens;
          map.set(k, a);
        }
      }
      const times = buckets(Math.floor(since / bucket) * bucket, bucket);
      const pts = (/** @type {'requests'|'errors'|'prompt'|'completion'} */ k) => times.map(t => /** @type {[number, number]} */ ([t, byTime.get(t)?.[k] ?? 0]));
      mount(out,
        section(`Tenant ${tenant.value}: ${rows.length} requests`, h('div', { class: 'charts' },
          lineChart({ title: 'Requests', xFormat: clock, series: [{ name: 'requests', points: pts('requests') }, { name: 'errors', points: pts('errors') }] }),
          lineChart({ title: 'Tokens', xFormat: clock, series: [{ name: 'prompt', points: pts('prompt') }, { name: 'completion', points: pts('completion') }] }))),
        table('Per key', ['Key prefix', 'Requests', 'Errors', 'Prompt tokens', 'Completion tokens'],
          [...byKey.entries()].sort((a, b) => b[1].requests - a[1].requests).map(([k, a]) => [k, a.requests, a.errors, a.prompt, a.completion])),
        rows.length >= 10000 ? h('p', { class: 'hint' }, 'Showing the latest 10000 audit rows only.') : null,
        ctx.me.operator ? await tenantTotals(since) : null);
    } catch (e) { mount(out, errorBox(e)); }
  }
  load();
}

/** Bucket starts (Unix seconds) from `from` to now. @param {number} from @param {number} step */
function buckets(from, step) {
  const out = [];
  const now = Date.now() / 1000;
  for (let t = from; t <= now; t += step) out.push(t);
  return out;
}

/** The operator's overview: requests and tokens of every tenant (first 50) since `since`. @param {number} since */
async function tenantTotals(since) {
  try {
    const tenants = (await api('/v1/admin/tenants')).data.slice(0, 50);
    const rows = await Promise.all(tenants.map(async (/** @type {any} */ t) => {
      const a = (await api(`/v1/admin/audit?tenant=${encodeURIComponent(t.id)}&since=${since}&limit=10000`)).data;
      const sum = (/** @type {string} */ k) => a.reduce((/** @type {number} */ n, /** @type {any} */ r) => n + r[k], 0);
      return [t.id, a.length, a.filter((/** @type {any} */ r) => r.status >= 400).length, sum('prompt_tokens'), sum('completion_tokens')];
    }));
    return section('All tenants', table('Per tenant', ['Tenant', 'Requests', 'Errors', 'Prompt tokens', 'Completion tokens'], rows));
  } catch (e) { return errorBox(e); }
}
