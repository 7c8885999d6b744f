// API keys and tenants (admin). A new or rotated key is shown once, in an alert with a copy button, and kept nowhere.
import { api } from '../api.js';
import { h, mount, field, section, table, errorBox, time, copy, toast } from '../dom.js';

/** @param {HTMLElement} root @param {import('../app.js').PageContext} ctx */
export function render(root, ctx) {
  const op = ctx.me.operator;
  const tenant = /** @type {HTMLSelectElement} */ (h('select', { name: 'tenant' }, h('option', { value: ctx.me.tenant }, ctx.me.tenant)));
  const name = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'key-name', maxlength: 128, placeholder: 'ci-runner' }));
  const scopeBoxes = ['inference', 'admin', 'metrics'].map(s => /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'scope', value: s, id: `scope-${s}`, checked: s === 'inference' })));
  const models = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'key-models', placeholder: 'empty: every model; or comma-separated ids' }));
  const expires = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'expires-in', placeholder: 'e.g. 30d (empty: never)' }));
  const shown = h('div', { 'aria-live': 'assertive', 'data-testid': 'new-key-area' });
  const list = h('div', { 'data-testid': 'keys' }, 'Loading…');
  const tenants = h('div', { 'data-testid': 'tenants' });
  const status = h('div', { 'aria-live': 'polite' });
  const create = h('form', { class: 'card', 'aria-labelledby': 'k-new' }, h('h2', { id: 'k-new' }, 'Create a key'),
    h('div', { class: 'grid2' }, field('Name', name), field('Expires in', expires)),
    h('fieldset', null, h('legend', null, 'Scopes'), ...scopeBoxes.map(b => h('label', { class: 'check', for: b.id }, b, ` ${b.value}`))),
    field('Allowed models', models),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Create key')), shown);
  const tenantId = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'tenant-id', placeholder: 'acme' }));
  const tenantName = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'tenant-name', placeholder: 'Acme Corp' }));
  const newTenant = h('form', { class: 'card', 'aria-labelledby': 't-new' }, h('h2', { id: 't-new' }, 'Create or update a tenant'),
    h('div', { class: 'grid2' }, field('Tenant id', tenantId), field('Display name', tenantName)),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Save tenant')));
  mount(root, h('h1', null, 'Keys and tenants'), op ? field('Tenant', tenant, 'Operator keys manage every tenant') : null, status,
    create, section('Keys', list), section('Tenants', tenants), op ? newTenant : null);

  const q = () => `tenant=${encodeURIComponent(tenant.value)}`;

  /** @param {string} title @param {any} k */
  function showOnce(title, k) {
    mount(shown, h('div', { class: 'newkey', role: 'alert' },
      h('p', null, h('strong', null, title), ' Copy it now: it is shown only once and cannot be read again.'),
      h('code', { 'data-testid': 'new-key' }, k.key),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', onclick: () => copy(k.key) }, 'Copy key'),
        h('button', { type: 'button', onclick: () => mount(shown) }, 'I have stored it'))));
  }

  async function loadTenants() {
    try {
      const l = await api('/v1/admin/tenants');
      mount(tenants, table('Tenants', ['Id', 'Name', 'Status', 'Created'],
        l.data.map((/** @type {any} */ t) => [t.id, t.name || '—', t.disabled ? 'disabled' : 'active', time(t.created_at)])));
      if (op) {
        const cur = tenant.value;
        const ids = l.data.map((/** @type {any} */ t) => t.id);
        if (!ids.includes(ctx.me.tenant)) ids.unshift(ctx.me.tenant);
        mount(tenant, ...ids.map((/** @type {string} */ id) => h('option', { value: id, selected: id === cur }, id)));
      }
    } catch (e) { mount(tenants, errorBox(e)); }
  }

  async function loadKeys() {
    try {
      const l = await api(`/v1/admin/keys?${q()}`);
      mount(list, table(`Keys of tenant ${tenant.value}`, ['Prefix', 'Name', 'Scopes', 'Models', 'Status', 'Expires', 'Actions'],
        l.data.map((/** @type {any} */ k) => [k.prefix, k.name || '—', k.scopes.join(', '), k.models.length ? k.models.join(', ') : 'all',
          h('span', { class: `badge ${k.status}` }, k.status), time(k.expires_at),
          k.status === 'active' ? h('span', { class: 'buttons' },
            h('button', { type: 'button', 'aria-label': `Rotate key ${k.prefix}`, onclick: () => rotate(k) }, 'Rotate'),
            h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke key ${k.prefix}`, onclick: () => revoke(k) }, 'Revoke')) : '—'])));
    } catch (e) { mount(list, errorBox(e)); }
  }

  /** @param {any} k */
  async function rotate(k) {
    if (!confirm(`Rotate ${k.prefix}? The old key keeps working for 24 hours.`)) return;
    try { showOnce('New key (rotation).', await api(`/v1/admin/keys/${encodeURIComponent(k.id)}/rotate?${q()}`, { method: 'POST', body: { grace: '24h' } })); loadKeys(); } catch (e) { mount(status, errorBox(e)); }
  }

  /** @param {any} k */
  async function revoke(k) {
    if (!confirm(`Revoke ${k.prefix} now? Requests with it fail at once.`)) return;
    try { await api(`/v1/admin/keys/${encodeURIComponent(k.id)}/revoke?${q()}`, { method: 'POST' }); toast(`Revoked ${k.prefix}.`); loadKeys(); } catch (e) { mount(status, errorBox(e)); }
  }

  create.addEventListener('submit', async ev => {
    ev.preventDefault();
    /** @type {Record<string, any>} */
    const body = { tenant: tenant.value, scopes: scopeBoxes.filter(b => b.checked).map(b => b.value) };
    if (name.value.trim()) body.name = name.value.trim();
    if (expires.value.trim()) body.expires_in = expires.value.trim();
    const m = models.value.split(',').map(s => s.trim()).filter(Boolean);
    if (m.length) body.models = m;
    try {
      const k = await api('/v1/admin/keys', { body });
      showOnce(`New key ${k.prefix}.`, k);
      name.value = '';
      loadKeys();
    } catch (e) { mount(shown, errorBox(e)); }
  });
  newTenant.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      await api('/v1/admin/tenants', { body: { id: tenantId.value.trim(), name: tenantName.value.trim() || undefined } });
      toast('Tenant saved.');
      loadTenants();
    } catch (e) { mount(status, errorBox(e)); }
  });
  tenant.addEventListener('change', loadKeys);
  loadTenants();
  loadKeys();
}
