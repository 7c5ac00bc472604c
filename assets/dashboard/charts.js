// @ts-check
/** The CPU and memory sparklines of each row: the last five minutes, drawn as SVG step lines. */
import { formatBytes, formatPercent, formatUptime, HISTORY_MS, SVG, state } from './kit.js';
import { tickUptime } from './services.js';

// ---------------------------------------------------------------- sparklines

export const W = 64;
export const H = 16;

export function sparkline() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', String(W));
  svg.setAttribute('height', String(H));
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'no samples yet');
  const path = document.createElementNS(SVG, 'path');
  svg.append(path);
  return svg;
}

export function recordHistory(rows, now) {
  for (const row of rows) {
    let hist = state.history.get(row.name);
    if (!hist) {
      hist = { cpu: [], mem: [] };
      state.history.set(row.name, hist);
    }
    push(hist.cpu, now, row.cpu_percent);
    push(hist.mem, now, row.memory_bytes);
  }
}

export function push(series, now, value) {
  series.push([now, value ?? null]);
  // Keep one point older than the window, so the line starts at its left edge.
  while (series.length > 2 && series[1][0] < now - HISTORY_MS) series.shift();
}

/** A step line of the series over the last HISTORY_MS, the last value held until now; gaps where null. */
export function draw(svg, series, now, format, what, floor = 0) {
  const path = svg.firstChild;
  const values = series.filter(([, v]) => v !== null).map(([, v]) => v);
  if (values.length === 0) {
    path.setAttribute('d', '');
    svg.setAttribute('aria-label', `${what}: no samples`);
    return;
  }
  // CPU is scaled to at least 10 % of a core: idle noise (0.1 %) is not drawn as a spike.
  const max = Math.max(floor, ...values) || 1;
  // The time axis spans what the page has seen (at least 10 s), up to HISTORY_MS.
  const span = Math.min(HISTORY_MS, Math.max(10_000, now - series[0][0]));
  const x = (t) => Math.max(0, ((t - (now - span)) / span) * W).toFixed(1);
  const y = (v) => (H - 1 - (v / max) * (H - 2)).toFixed(1);
  let d = '';
  let open = false;
  for (let i = 0; i < series.length; i++) {
    const [t, v] = series[i];
    const next = i + 1 < series.length ? series[i + 1][0] : now;
    if (v === null) {
      open = false;
      continue;
    }
    d += `${open ? 'L' : 'M'}${x(t)} ${y(v)}L${x(next)} ${y(v)}`;
    open = true;
  }
  path.setAttribute('d', d);
  svg.setAttribute('aria-label', `${what}, last ${formatUptime(span)}: peak ${format(Math.max(...values))}`);
}

export function drawCharts(now) {
  for (const [name, entry] of state.rows) {
    const hist = state.history.get(name);
    if (!hist) continue;
    draw(entry.c.cpuChart, hist.cpu, now, formatPercent, 'CPU', 10);
    draw(entry.c.memChart, hist.mem, now, formatBytes, 'memory');
  }
}

setInterval(() => {
  const now = Date.now();
  for (const entry of state.rows.values()) if (entry.row) tickUptime(entry, now);
}, 1000);
setInterval(() => drawCharts(Date.now()), 5000);
