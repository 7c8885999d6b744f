// Hand-drawn SVG line charts: no library. Colours come from CSS classes (series-0…3) so both themes keep AA contrast.

const NS = 'http://www.w3.org/2000/svg';

/** @param {string} tag @param {Record<string, string|number>} attrs */
function s(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** @param {number} v */
function short(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  if (a >= 10 || a === 0) return v.toFixed(0);
  if (a >= 0.01) return v.toFixed(2);
  return v.toExponential(1);
}

/**
 * A line chart of one or more series.
 * @param {{title:string, series:{name:string, points:[number, number][]}[], xFormat?:(x:number)=>string, yFormat?:(y:number)=>string, testid?:string}} opts
 * @returns {HTMLElement} a figure with the chart and a caption naming each series and its latest value
 */
export function lineChart(opts) {
  const W = 560, H = 220, L = 60, R = 16, T = 12, B = 28;
  const xf = opts.xFormat || short, yf = opts.yFormat || short;
  const all = opts.series.flatMap(x => x.points);
  const fig = document.createElement('figure');
  fig.className = 'chart';
  if (opts.testid) fig.dataset.testid = opts.testid;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', preserveAspectRatio: 'xMidYMid meet' });
  const latest = opts.series.map(x => x.points.length ? `${x.name} ${yf(x.points[x.points.length - 1][1])}` : `${x.name}: no data`).join(', ');
  svg.setAttribute('aria-label', `${opts.title}: ${all.length} points; latest ${latest}`);
  fig.dataset.points = String(all.length);
  let x0 = Math.min(...all.map(p => p[0])), x1 = Math.max(...all.map(p => p[0]));
  let y0 = Math.min(0, ...all.map(p => p[1])), y1 = Math.max(...all.map(p => p[1]));
  if (!all.length) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const px = (/** @type {number} */ x) => L + (x - x0) / (x1 - x0) * (W - L - R);
  const py = (/** @type {number} */ y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const y = y0 + (y1 - y0) * i / 4;
    svg.append(s('line', { x1: L, x2: W - R, y1: py(y), y2: py(y), class: 'grid' }));
    const t = s('text', { x: L - 6, y: py(y) + 4, 'text-anchor': 'end', class: 'tick' });
    t.textContent = yf(y);
    svg.append(t);
  }
  for (const [i, x] of [x0, (x0 + x1) / 2, x1].entries()) {
    const t = s('text', { x: px(x), y: H - 8, 'text-anchor': ['start', 'middle', 'end'][i], class: 'tick' });
    t.textContent = xf(x);
    svg.append(t);
  }
  opts.series.forEach((ser, i) => {
    if (!ser.points.length) return;
    const d = ser.points.map((p, j) => `${j ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
    svg.append(s('path', { d, class: `line series-${i % 4}` }));
    if (ser.points.length === 1) svg.append(s('circle', { cx: px(ser.points[0][0]), cy: py(ser.points[0][1]), r: 3, class: `dot series-${i % 4}` }));
  });
  const cap = document.createElement('figcaption');
  const title = document.createElement('strong');
  title.textContent = opts.title;
  cap.append(title);
  opts.series.forEach((ser, i) => {
    const key = document.createElement('span');
    key.className = `key series-${i % 4}`;
    key.textContent = ser.points.length ? `${ser.name}: ${yf(ser.points[ser.points.length - 1][1])}` : `${ser.name}: —`;
    cap.append(' ', key);
  });
  fig.append(svg, cap);
  return fig;
}

/** Formats a step or count as a whole number. @param {number} v */
export function whole(v) { return Math.round(v).toString(); }

/** Formats Unix seconds as HH:MM (UTC). @param {number} t */
export function clock(t) { return new Date(t * 1000).toISOString().slice(11, 16); }

/** Formats Unix seconds as HH:MM:SS (UTC). @param {number} t */
export function clockSeconds(t) { return new Date(t * 1000).toISOString().slice(11, 19); }
