// Tiny DOM helpers: elements are built from text nodes only (never parsed markup), so no server string can become HTML.

let ids = 0;

/** @returns {string} a fresh element id for label/control pairs. */
export function uid(prefix = 'f') { ids += 1; return `${prefix}-${ids}`; }

/**
 * @param {string} tag @param {Record<string, any>|null} [attrs] @param {...(Node|string|number|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') /** @type {any} */ (el)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** @param {HTMLElement} el @param {any[]} children */
function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/**
 * A labelled control: <div class="field"><label for=id>text</label>control</div>.
 * @param {string} label @param {HTMLElement} control @param {string} [hint]
 */
export function field(label, control, hint) {
  if (!control.id) control.id = uid();
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hid = uid('hint');
    control.setAttribute('aria-describedby', hid);
    parts.push(h('small', { id: hid, class: 'hint' }, hint));
  }
  return h('div', { class: 'field' }, ...parts);
}

/**
 * A table with a caption. @param {string} caption @param {string[]} head @param {any[][]} rows
 */
export function table(caption, head, rows) {
  // A named, focusable region: on a phone the table scrolls sideways inside it, by keyboard too.
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', null,
      h('caption', null, caption),
      h('thead', null, h('tr', null, ...head.map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', null, ...(rows.length ? rows.map(r => h('tr', null, ...r.map(c => h('td', null, c))))
        : [h('tr', null, h('td', { colspan: head.length, class: 'empty' }, 'Nothing yet.'))]))));
}

/** A section with a heading. @param {string} title @param {...any} children */
export function section(title, ...children) {
  const hid = uid('sec');
  return h('section', { class: 'card', 'aria-labelledby': hid }, h('h2', { id: hid }, title), ...children);
}

/** An error box (role=alert) for a failed call. @param {any} e */
export function errorBox(e) {
  const code = e && e.code ? ` (${e.code})` : '';
  return h('div', { class: 'error', role: 'alert' }, `${e && e.message ? e.message : String(e)}${code}`);
}

/** @param {number|null|undefined} unix seconds */
export function time(unix) {
  if (!unix) return '—';
  return new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** Shows a short message in the polite live region. @param {string} text */
export function toast(text) {
  const t = document.getElementById('toast');
  if (!t) return;
  t.textContent = text;
  t.classList.add('show');
  setTimeout(() => t.classList.remove('show'), 4000);
}

/** Replaces the children of an element. @param {Element} el @param {...any} children */
export function mount(el, ...children) {
  el.replaceChildren();
  append(/** @type {HTMLElement} */ (el), children);
}

/** Copies text to the clipboard, saying so. @param {string} text */
export async function copy(text) {
  try { await navigator.clipboard.writeText(text); toast('Copied to the clipboard.'); } catch { toast('Copy failed: select the text and copy it.'); }
}
