// The console's shell: sign-in, navigation by hash (#/page?arg=…, so no key or data ever goes into a server URL),
// and a page per resource. Which pages show follows the key's scopes from GET /v1/me.
import { api, ApiError, getKey, setKey } from './api.js';
import { h, mount, errorBox } from './dom.js';
import * as signin from './pages/signin.js';
import * as playground from './pages/playground.js';
import * as finetune from './pages/finetune.js';
import * as batches from './pages/batches.js';
import * as tasks from './pages/tasks.js';
import * as usage from './pages/usage.js';
import * as models from './pages/models.js';
import * as keys from './pages/keys.js';
import * as engine from './pages/engine.js';
import * as health from './pages/health.js';

/**
 * @typedef {{tenant:string, key_prefix:string|null, scopes:string[], models:string[], operator:boolean, auth_enabled:boolean}} Me
 * @typedef {{me:Me, params:URLSearchParams, go:(route:string)=>void}} PageContext
 * @typedef {{id:string, title:string, scope:'inference'|'admin', render:(root:HTMLElement, ctx:PageContext)=>(void|(()=>void))}} Page
 */

/** @type {Page[]} */
const PAGES = [
  { id: 'playground', title: 'Playground', scope: 'inference', render: playground.render },
  { id: 'fine-tuning', title: 'Fine-tuning', scope: 'inference', render: finetune.render },
  { id: 'batches', title: 'Batches', scope: 'inference', render: batches.render },
  { id: 'tasks', title: 'Tasks', scope: 'inference', render: tasks.render },
  { id: 'usage', title: 'Usage', scope: 'inference', render: usage.render },
  { id: 'models', title: 'Models', scope: 'admin', render: models.render },
  { id: 'keys', title: 'Keys & tenants', scope: 'admin', render: keys.render },
  { id: 'engine', title: 'Engine', scope: 'admin', render: engine.render },
  { id: 'health', title: 'Health', scope: 'admin', render: health.render },
];

/** @type {Me|null} */
let me = null;
/** @type {(()=>void)|void} */
let cleanup;
/** @type {any} a refused stored key's error, shown once on the sign-in page */
let pendingError = null;

/** @param {Me} who @param {string} scope */
function allowed(who, scope) {
  return who.scopes.includes(scope) || (scope === 'metrics' && who.scopes.includes('admin'));
}

function go(/** @type {string} */ route) { location.hash = route; }

function renderNav() {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  const who = /** @type {HTMLElement} */ (document.getElementById('who'));
  const out = /** @type {HTMLElement} */ (document.getElementById('signout'));
  if (!me) { mount(nav); who.textContent = ''; out.hidden = true; return; }
  const current = location.hash.slice(2).split('?')[0];
  mount(nav, h('ul', null, ...PAGES.filter(p => allowed(/** @type {Me} */ (me), p.scope)).map(p =>
    h('li', null, h('a', { href: `#/${p.id}`, 'aria-current': p.id === current ? 'page' : null }, p.title)))));
  const label = me.auth_enabled ? `${me.key_prefix || 'key'} · ${me.tenant}${me.operator ? ' (operator)' : ''}` : 'auth off · default';
  who.textContent = label;
  out.hidden = !me.auth_enabled;
}

async function route() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  const [path, query] = location.hash.slice(2).split('?');
  if (!me) {
    renderNav();
    cleanup = signin.render(main, { onSignedIn: async key => { setKey(key); await whoAmI(); } }, pendingError);
    pendingError = null;
    return;
  }
  const page = PAGES.find(p => p.id === path) || PAGES.find(p => allowed(/** @type {Me} */ (me), p.scope));
  renderNav();
  if (!page) { mount(main, h('h1', null, 'Nothing to show'), h('p', null, 'This key has no scope the console can use.')); return; }
  document.title = `${page.title} · CyLlm console`;
  if (!allowed(me, page.scope)) {
    mount(main, h('h1', null, page.title), h('div', { class: 'error', role: 'alert', 'data-testid': 'forbidden' },
      `This page needs a key with the '${page.scope}' scope. This key (${me.key_prefix}) has: ${me.scopes.join(', ') || 'none'}.`));
    return;
  }
  mount(main);
  cleanup = page.render(main, { me, params: new URLSearchParams(query || ''), go });
  main.focus({ preventScroll: true });
}

/** Asks the server who the stored key is; a refused key is forgotten and the error rethrown for the caller to show. */
async function whoAmI() {
  try {
    me = await api('/v1/me');
  } catch (e) {
    me = null;
    setKey(null);
    throw e;
  }
  if (!location.hash.startsWith('#/') || location.hash.startsWith('#/signin')) {
    location.hash = me && allowed(me, 'inference') ? '#/playground' : '#/engine';
  }
  await route();
}

function setupChrome() {
  const theme = /** @type {HTMLButtonElement} */ (document.getElementById('theme'));
  const saved = localStorage.getItem('cyllm.theme');
  if (saved) document.documentElement.dataset.theme = saved;
  theme.addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('cyllm.theme', document.documentElement.dataset.theme);
  });
  const toggle = /** @type {HTMLButtonElement} */ (document.getElementById('nav-toggle'));
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  });
  nav.addEventListener('click', () => { toggle.setAttribute('aria-expanded', 'false'); nav.classList.remove('open'); });
  document.getElementById('signout')?.addEventListener('click', () => {
    setKey(null);
    me = null;
    location.hash = '#/signin';
    route();
  });
  // The skip link moves focus without touching the hash, which holds the page's route.
  document.querySelector('.skip')?.addEventListener('click', ev => {
    ev.preventDefault();
    document.getElementById('main')?.focus();
  });
  addEventListener('hashchange', () => { route(); });
}

setupChrome();
const hadKey = !!getKey();
whoAmI().catch(e => {
  // No key yet (401 missing_api_key) is the normal first visit: the sign-in page, without an error.
  if (e instanceof ApiError && e.status === 401) {
    pendingError = hadKey ? e : null;
    route();
    return;
  }
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  mount(main, h('h1', null, 'CyLlm console'), errorBox(e));
});
