// Sign-in: the key goes into sessionStorage (this tab only) and from there into Authorization headers, never a URL.
import { h, mount, field, errorBox } from '../dom.js';

/**
 * @param {HTMLElement} root @param {{onSignedIn:(key:string)=>Promise<void>}} ctx @param {any} [pending]
 */
export function render(root, ctx, pending) {
  document.title = 'Sign in · CyLlm console';
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'password', name: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'sk-cy-…' }));
  const status = h('div', { 'aria-live': 'assertive' });
  const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title', novalidate: true },
    h('h1', { id: 'signin-title' }, 'Sign in to the CyLlm console'),
    h('p', null, 'Paste an API key. It stays in this browser tab only (session storage) and is sent as an Authorization header; close the tab to forget it.'),
    field('API key', input, 'Create one with: cyllm keys create --scope inference --scope admin'),
    button, status);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) { mount(status, errorBox({ message: 'Enter an API key.' })); input.focus(); return; }
    button.disabled = true;
    mount(status, h('p', null, 'Checking the key…'));
    try {
      await ctx.onSignedIn(key);
    } catch (e) {
      const refused = e && e.status === 401;
      mount(status, errorBox(refused ? { message: `The server refused this key: ${e.message}`, code: e.code } : e));
      input.value = '';
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  mount(root, form);
  if (pending) mount(status, errorBox({ message: `The server refused the stored key: ${pending.message}`, code: pending.code }));
  input.focus();
}
