/**
 * The uiprocs dashboard page: plain ES2020, no build step, no dependencies.
 *
 * First render comes from two GETs (/api/project, /api/services) fired at once; from then on
 * everything is live from the server-sent events of /api/events (`services`, `log`, `plan`).
 * Every string that comes from the project (service names, log lines, URLs, errors) reaches
 * the DOM through textContent or a checked attribute, never innerHTML: a log line is
 * untrusted text. Controls carry `data-service` / `data-group` / `data-project` and
 * `data-action`, so tests and users' scripts can find them (docs/DASHBOARD-API.md).
 */

/** How much history the CPU and memory sparklines show. */
const HISTORY_MS = 5 * 60 * 1000;
/** How many log lines the pane keeps (older ones are dropped from the page, not from the file). */
const MAX_LOG_LINES = 5000;
/** How many lines the pane asks for when it (re)loads a log. */
const TAIL_LINES = 500;
const SVG = 'http://www.w3.org/2000/svg';

const $ = (sel) => document.querySelector(sel);

const el = {
  projectName: $('[data-project-name]'),
  manifest: $('[data-manifest]'),
  supervisor: $('[data-supervisor]'),
  conn: $('[data-conn]'),
  groups: $('[data-groups]'),
  errors: $('[data-errors]'),
  message: $('[data-message]'),
  plan: $('[data-plan]'),
  planTitle: $('[data-plan-title]'),
  planActions: $('[data-plan-actions]'),
  planErrors: $('[data-plan-errors]'),
  apply: $('[data-plan] [data-action="apply"]'),
  tbody: $('[data-services]'),
  logSelect: $('[data-log-select]'),
  logFilter: $('[data-log-filter]'),
  logFollow: $('[data-log-follow]'),
  logPath: $('[data-log-path]'),
  logLines: $('[data-log-lines]'),
};

// A scrolling region must be reachable by keyboard (to scroll it with the arrow keys).
el.logLines.tabIndex = 0;

const state = {
  /** GET /api/project */
  project: null,
  /** name → { tr, cells…, row, receivedAt } */
  rows: new Map(),
  /** name → { cpu: [[t, v|null]], mem: [[t, v|null]] } */
  history: new Map(),
  /** The log pane's selection: a service name or 'all'. */
  logSel: 'all',
  /** [{ service, line }] for the selection, oldest first. */
  logLines: [],
  /** While a tail is loading: the live lines that arrived meanwhile (merged after it). */
  logPending: null,
  /** Bumped on each tail load, so a late answer for an earlier selection is dropped. */
  logLoad: 0,
  firstRender: false,
  /** Rows came from the event stream: a slower GET answer is older and is dropped. */
  live: false,
};

// ---------------------------------------------------------------- small helpers

/** Sets textContent only when it differs: live updates then touch only what changed. */
function text(node, value) {
  const s = value == null ? '' : String(value);
  if (node.textContent !== s) node.textContent = s;
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) node.append(c);
  return node;
}

/**
 * The session token, echoed in the X-Uiprocs-Token header of every POST. The cookie that
 * carries it is HttpOnly (no script on this host, whatever its port, can read it), so the
 * page asks GET /api/session, which answers this page only (src/dashboard/security.ts).
 */
let session = null;
function token() {
  session ??= getJson('/api/session').then(
    (s) => String(s?.token ?? ''),
    () => {
      session = null;
      return '';
    },
  );
  return session;
}

function formatUptime(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function formatBytes(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

function formatPercent(p) {
  return p < 10 && p !== 0 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

/** `exited (3)`, `exited (SIGKILL)`, `exited (code unknown)`: as `uiprocs ps`. */
function exitText(row) {
  return `exited (${row.exit_code ?? row.exit_signal ?? 'code unknown'})`;
}

/** Only http(s) URLs become links: a `javascript:` URL must never be clickable. */
function safeUrl(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

/** Terminal colour codes make log lines unreadable as text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok)
    throw Object.assign(new Error(body?.error ?? `${path}: HTTP ${res.status}`), { status: res.status });
  return body;
}

/**
 * A failed read, shown unless it is 409 (the manifest cannot be used): the plan pane
 * shows those located errors already, and saying them again per read showed them thrice.
 */
function readFailed(what, error) {
  if (error.status !== 409) showError(what, error.message);
}

// ---------------------------------------------------------------- messages

function showError(what, message) {
  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'dismiss' }, '×');
  const li = h('li', { 'data-error': true }, h('strong', {}, what), ': ', h('span', {}, message), close);
  close.addEventListener('click', () => li.remove());
  el.errors.append(li);
  while (el.errors.children.length > 5) el.errors.firstElementChild.remove();
}

let messageTimer = 0;
function showMessage(message) {
  text(el.message, message);
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => text(el.message, ''), 6000);
}

// ---------------------------------------------------------------- actions

/** POST path → the API's `{ ok, actions, message }`; a failure is shown on the page. */
async function act(path, what, button) {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'X-Uiprocs-Token': await token() } });
    const body = await res.json().catch(() => null);
    if (!res.ok || body?.ok === false) {
      const why = body?.error ?? `HTTP ${res.status} ${res.statusText}`;
      if (res.status === 401 || res.status === 403) session = null;
      showError(
        what,
        res.status === 401 ? `${why} (the token changed? open the URL \`uiprocs ps\` prints)` : why,
      );
    } else {
      const n = body?.actions?.length ?? 0;
      showMessage(
        `${what}: ${body?.message || (n === 0 ? 'nothing to do' : `${n} action${n === 1 ? '' : 's'}`)}`,
      );
    }
  } catch (error) {
    showError(what, `the dashboard did not answer (${error.message})`);
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
    // What `up` would do and whether a supervisor runs may have changed (the server's
    // next look sends a plan event too; the GET is sooner).
    refreshPlan();
    refreshProject();
  }
}

const projectPaths = { start: '/api/up', stop: '/api/down', restart: '/api/restart' };

document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button || button.disabled) return;
  const action = button.dataset.action;
  if (action === 'apply') return act('/api/up', 'apply', button);
  if (!['start', 'stop', 'restart'].includes(action)) return;
  if (button.hasAttribute('data-project')) return act(projectPaths[action], `${action} project`, button);
  const name = button.dataset.group ?? button.dataset.service;
  if (name === undefined) return;
  act(`/api/services/${encodeURIComponent(name)}/${action}`, `${action} ${name}`, button);
});

function actionButtons(attr, name, label) {
  return ['start', 'stop', 'restart'].map((action) =>
    h(
      'button',
      { type: 'button', [attr]: name, 'data-action': action, 'aria-label': `${action} ${label}` },
      action,
    ),
  );
}

// ---------------------------------------------------------------- header, groups

function renderProject(p) {
  state.project = p;
  text(el.projectName, p.project);
  document.title = `${p.project} · uiprocs`;
  text(el.manifest, p.manifest);
  text(el.supervisor, p.supervisor ? `· supervisor pid ${p.supervisor.pid}` : '· no supervisor running');
  const groups = Object.entries(p.groups ?? {});
  const key = JSON.stringify(groups);
  if (el.groups.dataset.key !== key) {
    el.groups.dataset.key = key;
    el.groups.replaceChildren(
      ...groups.map(([group, members]) =>
        h(
          'fieldset',
          { class: 'controls' },
          h('legend', { class: 'label', title: members.join(', ') }, `${group} (${members.length})`),
          ...actionButtons('data-group', group, `group ${group}`),
        ),
      ),
    );
  }
  renderLogSelect();
  renderLogPath();
  if (state.rows.size === 0) renderSkeleton(p.services ?? []);
}

/**
 * The manifest's services before their status is known: `/api/project` is cheap, while the
 * first `/api/services` after the dashboard starts waits for a CPU sample (a quarter second).
 */
function renderSkeleton(services) {
  if (services.length === 0) return;
  for (const s of services) {
    const entry = createRow(s.name);
    text(entry.c.groups, (s.groups ?? []).join(' '));
    text(entry.c.status, '…');
    entry.c.status.className = 'st off';
    state.rows.set(s.name, entry);
  }
  el.tbody.replaceChildren(...[...state.rows.values()].map((e) => e.tr));
  performance.mark('uiprocs:first-rows');
}

async function refreshProject() {
  try {
    renderProject(await getJson('/api/project'));
  } catch (error) {
    readFailed('project', error);
  }
}

// ---------------------------------------------------------------- services table

function createRow(name) {
  const c = {
    name: h('button', { type: 'button', class: 'name', title: 'show its log' }, name),
    groups: h('span', { class: 'groups-of' }),
    status: h('span', { class: 'st' }),
    detail: h('span', { class: 'detail' }),
    note: h('span', { class: 'note' }),
    url: h('td', { class: 'url' }),
    port: h('td', { class: 'num' }),
    pid: h('td', { class: 'num', 'data-pid': true }),
    uptime: h('td', { class: 'num' }),
    restarts: h('td', { class: 'num' }),
    cpuText: h('span', { class: 'val' }),
    memText: h('span', { class: 'val' }),
    cpuChart: sparkline(),
    memChart: sparkline(),
  };
  c.name.addEventListener('click', () => selectLog(name));
  const tr = h(
    'tr',
    { 'data-row': name },
    h('th', { scope: 'row' }, c.name, c.groups),
    h('td', { class: 'status' }, c.status, c.detail, c.note),
    c.url,
    c.port,
    c.pid,
    c.uptime,
    c.restarts,
    h('td', { class: 'usage' }, c.cpuText, c.cpuChart),
    h('td', { class: 'usage' }, c.memText, c.memChart),
    h('td', { class: 'actions' }, ...actionButtons('data-service', name, name)),
  );
  return { tr, c, row: null, receivedAt: 0 };
}

function updateRow(entry, row, now) {
  const { c } = entry;
  entry.row = row;
  entry.receivedAt = now;
  text(c.groups, [...(row.group ?? []), ...(row.task ? ['task'] : [])].join(' '));
  // Status: the word (coloured by class), the health, and how the last process ended.
  // A clean exit (0) is how a task or a finished job ends: not shown as a failure.
  const exited = row.status === 'exited';
  const failed = exited && !(row.exit_code === 0 && row.exit_signal == null);
  text(c.status, exited ? exitText(row) : row.status);
  const tone =
    row.health === 'unhealthy' || failed || row.status === 'stale'
      ? 'bad'
      : row.status === 'starting' ||
          row.status === 'restarting' ||
          row.status === 'untracked' ||
          row.health === 'starting'
        ? 'warn'
        : row.status === 'running' || row.status === 'completed'
          ? 'ok'
          : 'off';
  c.status.className = `st ${tone}`;
  const detail = [];
  if (row.health) detail.push(row.health);
  if (!exited && (row.exit_code != null || row.exit_signal != null)) detail.push(`last ${exitText(row)}`);
  if (row.supervised) detail.push('supervised');
  // Why RESTARTS moved: the last restart uiprocs made on its own, and when.
  if (row.last_restart)
    detail.push(
      `restarted ${formatUptime(Math.max(0, Date.now() - Date.parse(row.last_restart.at)))} ago: ${row.last_restart.cause}`,
    );
  text(c.detail, detail.join(' · '));
  // The note of `ps` (not in the manifest, stray processes, a memory limit hit…) under it.
  text(c.note, row.note);
  c.note.title = row.note ?? '';
  c.status.title = row.finished_at ? `ended ${new Date(row.finished_at).toLocaleString()}` : '';
  // URL: a link only for http(s).
  const url = safeUrl(row.url);
  const link = c.url.firstElementChild;
  if (url === null) {
    if (c.url.textContent !== '-' || link) c.url.replaceChildren('-');
  } else if (!link || link.getAttribute('href') !== url) {
    c.url.replaceChildren(
      h(
        'a',
        {
          'data-service': row.name,
          'data-link': true,
          href: url,
          target: '_blank',
          rel: 'noopener noreferrer',
        },
        url.replace(/^https?:\/\//i, '').replace(/\/$/, ''),
      ),
    );
  }
  text(c.port, row.port ?? '-');
  text(c.pid, row.pid ?? '-');
  text(c.restarts, row.restarts);
  text(c.cpuText, row.cpu_percent == null ? '-' : formatPercent(row.cpu_percent));
  text(c.memText, row.memory_bytes == null ? '-' : formatBytes(row.memory_bytes));
  const limit = row.limits?.memory;
  c.memText.title = limit ? `limit ${formatBytes(limit.value)} (${limit.enforced})` : '';
  tickUptime(entry, now);
}

/** Uptime ticks in the page: the server sends no event when only uptime changed. */
function tickUptime(entry, now) {
  const { row } = entry;
  text(entry.c.uptime, row.uptime_ms == null ? '-' : formatUptime(row.uptime_ms + (now - entry.receivedAt)));
}

function renderRows(rows) {
  const now = Date.now();
  recordHistory(rows, now);
  const seen = new Set();
  const order = [];
  for (const row of rows) {
    seen.add(row.name);
    let entry = state.rows.get(row.name);
    if (!entry) {
      entry = createRow(row.name);
      state.rows.set(row.name, entry);
    }
    updateRow(entry, row, now);
    order.push(entry.tr);
  }
  for (const [name, entry] of state.rows) {
    if (!seen.has(name)) {
      entry.tr.remove();
      state.rows.delete(name);
      state.history.delete(name);
    }
  }
  if (order.length === 0) {
    el.tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 10 }, 'no services')));
  } else if (
    order.some((tr, i) => el.tbody.children[i] !== tr) ||
    el.tbody.children.length !== order.length
  ) {
    el.tbody.replaceChildren(...order);
  }
  drawCharts(now);
  renderLogSelect();
  if (!state.firstRender) {
    state.firstRender = true;
    performance.mark('uiprocs:first-render');
    document.body.dataset.ready = 'true';
  }
}

// ---------------------------------------------------------------- sparklines

const W = 64;
const H = 16;

function sparkline() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', W);
  svg.setAttribute('height', H);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'no samples yet');
  const path = document.createElementNS(SVG, 'path');
  svg.append(path);
  return svg;
}

function recordHistory(rows, now) {
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

function push(series, now, value) {
  series.push([now, value ?? null]);
  // Keep one point older than the window, so the line starts at its left edge.
  while (series.length > 2 && series[1][0] < now - HISTORY_MS) series.shift();
}

/** A step line of the series over the last HISTORY_MS, the last value held until now; gaps where null. */
function draw(svg, series, now, format, what, floor = 0) {
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

function drawCharts(now) {
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

// ---------------------------------------------------------------- plan

function renderPlan(plan) {
  const show = Boolean(plan) && (plan.ok === false || plan.changed === true);
  el.plan.hidden = !show;
  if (!show) return;
  if (plan.ok) {
    text(el.planTitle, 'uiprocs up would');
    el.planErrors.hidden = true;
    el.planErrors.replaceChildren();
    el.apply.hidden = false;
    const actions = plan.actions ?? [];
    el.planActions.replaceChildren(
      ...(actions.length > 0
        ? actions.map((a) =>
            h(
              'li',
              { 'data-plan-action': a.service },
              h('span', { class: `kind ${a.kind}` }, a.kind),
              ' ',
              h('strong', {}, a.service),
              h('span', { class: 'cause' }, ` — ${a.cause}`),
            ),
          )
        : [h('li', {}, h('pre', {}, plan.text ?? ''))]),
    );
  } else {
    text(el.planTitle, 'The manifest has errors: nothing changes until they are fixed');
    el.apply.hidden = true;
    el.planActions.replaceChildren();
    el.planErrors.hidden = false;
    const errors = plan.errors ?? [];
    el.planErrors.replaceChildren(
      ...(errors.length > 0
        ? errors.map((e) =>
            h(
              'div',
              { class: 'diag' },
              h('code', {}, `${e.file}:${e.line}:${e.column}`),
              ' ',
              h('span', {}, e.message),
              ...(e.source_line ? [h('pre', {}, e.source_line)] : []),
            ),
          )
        : [h('pre', {}, plan.text ?? 'invalid manifest')]),
    );
  }
}

let planSeq = 0;
async function refreshPlan() {
  const seq = ++planSeq;
  try {
    const plan = await getJson('/api/plan');
    if (seq === planSeq) renderPlan(plan);
  } catch {
    // an invalid answer is no plan; the next event brings one
  }
}

// ---------------------------------------------------------------- logs

function serviceNames() {
  const names = new Set((state.project?.services ?? []).map((s) => s.name));
  for (const name of state.rows.keys()) names.add(name);
  return [...names];
}

function renderLogSelect() {
  const names = serviceNames();
  const key = names.join('\n');
  if (el.logSelect.dataset.key === key) return;
  el.logSelect.dataset.key = key;
  el.logSelect.replaceChildren(
    h('option', { value: 'all' }, 'all'),
    ...names.map((n) => h('option', { value: n }, n)),
  );
  if (state.logSel !== 'all' && !names.includes(state.logSel)) {
    el.logSelect.append(h('option', { value: state.logSel }, state.logSel));
  }
  el.logSelect.value = state.logSel;
  // With all services, the names line up in a column as wide as the longest.
  el.logLines.style.setProperty('--svc', `${Math.max(4, ...names.map((n) => n.length))}ch`);
}

function renderLogPath(path) {
  if (path) return text(el.logPath, path);
  const services = state.project?.services ?? [];
  if (state.logSel === 'all') {
    // One folder (the usual <state_dir>/logs): `folder/*.log`; logs placed apart: every path.
    const paths = services.map((s) => s.log_path).filter(Boolean);
    const dirs = new Set(paths.map((p) => p.slice(0, p.lastIndexOf('/') + 1)));
    text(el.logPath, dirs.size === 1 ? `${[...dirs][0]}*.log` : paths.join('  '));
  } else {
    text(el.logPath, services.find((s) => s.name === state.logSel)?.log_path ?? '');
  }
}

function selectLog(name) {
  state.logSel = name;
  renderLogSelect();
  el.logSelect.value = name;
  loadTail();
  el.logLines.focus({ preventScroll: true });
}

el.logSelect.addEventListener('change', () => {
  state.logSel = el.logSelect.value;
  loadTail();
});
el.logFilter.addEventListener('input', () => renderLogs());
el.logFollow.addEventListener('change', () => {
  if (el.logFollow.checked) scrollToEnd();
});
// Scrolling up to read stops following (as Tilt's pane does); scrolling back to the end resumes it.
const atEnd = () => el.logLines.scrollTop + el.logLines.clientHeight >= el.logLines.scrollHeight - 4;
el.logLines.addEventListener(
  'wheel',
  (e) => {
    if (e.deltaY < 0) el.logFollow.checked = false;
    else if (e.deltaY > 0 && !el.logFollow.checked) requestAnimationFrame(() => atEnd() && resumeFollow());
  },
  { passive: true },
);
el.logLines.addEventListener('keydown', (e) => {
  if (['ArrowUp', 'PageUp', 'Home'].includes(e.key)) el.logFollow.checked = false;
  if (['ArrowDown', 'PageDown', 'End'].includes(e.key))
    requestAnimationFrame(() => atEnd() && resumeFollow());
});
function resumeFollow() {
  el.logFollow.checked = true;
}

function logMatches(entry) {
  const filter = el.logFilter.value.trim().toLowerCase();
  return filter === '' || entry.line.toLowerCase().includes(filter) || entry.service.toLowerCase() === filter;
}

function logNode(entry) {
  const node = h('div', { 'data-log-line': true });
  if (state.logSel === 'all') node.append(h('span', { class: `svc c${hue(entry.service)}` }, entry.service));
  node.append(entry.line);
  return node;
}

function hue(name) {
  let n = 0;
  for (const ch of name) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return n % 6;
}

function renderLogs() {
  el.logLines.replaceChildren(...state.logLines.filter(logMatches).map(logNode));
  if (el.logFollow.checked) scrollToEnd();
}

function scrollToEnd() {
  el.logLines.scrollTop = el.logLines.scrollHeight;
}

function appendLog(entry) {
  state.logLines.push(entry);
  if (logMatches(entry)) el.logLines.append(logNode(entry));
  if (state.logLines.length > MAX_LOG_LINES) {
    const dropped = state.logLines.splice(0, state.logLines.length - MAX_LOG_LINES);
    // The oldest nodes are the oldest matching lines: drop as many as matched.
    for (const d of dropped) if (logMatches(d)) el.logLines.firstElementChild?.remove();
  }
}

let followFrame = 0;
function onLogEvent(entry) {
  if (state.logSel !== 'all' && entry.service !== state.logSel) return;
  if (state.logPending) {
    state.logPending.push(entry);
    return;
  }
  appendLog(entry);
  if (el.logFollow.checked && !followFrame) {
    followFrame = requestAnimationFrame(() => {
      followFrame = 0;
      scrollToEnd();
    });
  }
}

/**
 * Loads the last lines of the selection; live lines that arrive meanwhile wait and are
 * added after it, less those the tail already has (its last lines may be the first live ones).
 */
async function loadTail() {
  const sel = state.logSel;
  const load = ++state.logLoad;
  state.logPending = [];
  renderLogPath();
  let lines = [];
  try {
    const body = await getJson(`/api/logs/${encodeURIComponent(sel)}?lines=${TAIL_LINES}`);
    if (load !== state.logLoad) return;
    lines = (body.lines ?? []).map((l) =>
      typeof l === 'string'
        ? { service: body.service ?? sel, line: l }
        : { service: l.service, line: l.line },
    );
    if (body.path) renderLogPath(body.path);
  } catch (error) {
    if (load !== state.logLoad) return;
    readFailed(`log of ${sel}`, error);
  }
  const pending = state.logPending;
  state.logPending = null;
  lines = lines.map((l) => ({ service: l.service, line: l.line.replace(ANSI, '') }));
  state.logLines = lines.slice(-MAX_LOG_LINES);
  let skip = overlap(lines, pending);
  for (const entry of pending) {
    if (skip > 0) skip -= 1;
    else state.logLines.push(entry);
  }
  renderLogs();
}

/** The longest run of `pending`'s first lines that is also the end of `tail`. */
function overlap(tail, pending) {
  const same = (a, b) => a.service === b.service && a.line === b.line;
  for (let n = Math.min(tail.length, pending.length); n > 0; n--) {
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = same(tail[tail.length - n + i], pending[i]);
    if (ok) return n;
  }
  return 0;
}

// ---------------------------------------------------------------- live: server-sent events

function parse(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return undefined;
  }
}

let source = null;
let lostOnce = false;

function connect() {
  source = new EventSource('/api/events');
  source.addEventListener('open', () => {
    text(el.conn, 'live');
    el.conn.className = 'conn live';
    if (lostOnce) {
      // A dashboard served again (the supervisor replaced) keeps the project's token; ask anew anyway.
      session = null;
      // Lines written while the stream was down are only in the files.
      loadTail();
      refreshProject();
    }
  });
  source.addEventListener('error', () => {
    lostOnce = true;
    text(el.conn, 'disconnected, retrying…');
    el.conn.className = 'conn lost';
    if (source.readyState === EventSource.CLOSED) {
      source = null;
      setTimeout(connect, 2000);
    }
  });
  source.addEventListener('services', (e) => {
    const rows = parse(e);
    if (Array.isArray(rows)) {
      state.live = true;
      renderRows(rows);
    }
  });
  source.addEventListener('log', (e) => {
    const entry = parse(e);
    if (entry && typeof entry.line === 'string') {
      onLogEvent({ service: String(entry.service), line: entry.line.replace(ANSI, '') });
    }
  });
  source.addEventListener('plan', (e) => {
    const plan = parse(e);
    if (plan) {
      planSeq++; // an event is newer than any GET still on its way
      renderPlan(plan);
      // The manifest changed: groups, services and log paths may have too.
      refreshProject();
    }
  });
}

// ---------------------------------------------------------------- start

/** The `?token=` the page was opened with is in the cookie now: keep it out of history and sight. */
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname);

const services = getJson('/api/services');
const project = getJson('/api/project');
connect();
services.then(
  (rows) => state.live || renderRows(rows),
  (error) => readFailed('services', error),
);
project.then(renderProject, (error) => readFailed('project', error));
loadTail();
