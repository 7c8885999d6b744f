// The console's only way to the server: every call carries the key as an Authorization header (never a cookie, never
// a URL), and every failure becomes an ApiError holding the server's OpenAI error object.

const KEY = 'cyllm.key';

/** @returns {string|null} the key of this tab's session (sessionStorage: gone when the tab closes). */
export function getKey() { return sessionStorage.getItem(KEY); }

/** @param {string|null} key */
export function setKey(key) {
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  /** @param {number} status @param {{message?:string,type?:string,code?:string,param?:string,row_errors?:{line:number,field:string|null,message:string}[]}|null} error */
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || error?.type || '';
    this.param = error?.param || null;
    // A refused upload lists its bad rows (the server's extra field); every other error has none.
    this.rowErrors = Array.isArray(error?.row_errors) ? error.row_errors : null;
  }
}

/** @param {Record<string,string>} [extra] */
function headers(extra) {
  /** @type {Record<string,string>} */
  const h = { ...extra };
  const key = getKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

/** @param {Response} res */
async function fail(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  return new ApiError(res.status, body?.error || null);
}

/**
 * JSON request. @param {string} path @param {{method?:string, body?:any, signal?:AbortSignal}} [opts]
 * @returns {Promise<any>}
 */
export async function api(path, opts = {}) {
  const init = { method: opts.method || (opts.body === undefined ? 'GET' : 'POST'), headers: headers(), signal: opts.signal };
  if (opts.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(path, init);
  if (!res.ok) throw await fail(res);
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

/** Multipart upload to /v1/files. @param {File|Blob} file @param {string} name @param {string} purpose */
export async function upload(file, name, purpose) {
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', file, name);
  const res = await fetch('/v1/files', { method: 'POST', headers: headers(), body: form });
  if (!res.ok) throw await fail(res);
  return res.json();
}

/** Raw bytes (file contents). @param {string} path @returns {Promise<Blob>} */
export async function blob(path) {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw await fail(res);
  return res.blob();
}

/**
 * POSTs a streaming request and calls onEvent with each parsed SSE data object until [DONE]. Aborting the signal
 * closes the connection, which the server sees as a cancelled request and stops generating.
 * @param {string} path @param {any} body @param {AbortSignal} signal @param {(data:any)=>void} onEvent
 */
export async function stream(path, body, signal, onEvent) {
  const res = await fetch(path, {
    method: 'POST', signal, body: JSON.stringify(body),
    headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
  });
  if (!res.ok || !res.body) throw await fail(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of block.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const obj = JSON.parse(data);
        if (obj.error) throw new ApiError(500, obj.error);
        onEvent(obj);
      }
    }
  }
}
