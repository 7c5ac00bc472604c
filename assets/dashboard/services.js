// @ts-check
/** The header, the groups and the services table, updated in place from each `services` event. */
import { actionButtons } from './actions.js';
import { drawCharts, recordHistory, sparkline } from './charts.js';
import {
  el,
  exitText,
  formatBytes,
  formatPercent,
  formatUptime,
  getJson,
  h,
  readFailed,
  safeUrl,
  state,
  text,
} from './kit.js';
import { renderLogPath, renderLogSelect, selectLog } from './logs.js';

// ---------------------------------------------------------------- header, groups

export function renderProject(p) {
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
 * The manifest's services before their status is known: `api/project` is cheap, while the
 * first `api/services` after the dashboard starts waits for a CPU sample (a quarter second).
 */
export function renderSkeleton(services) {
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

export async function refreshProject() {
  try {
    renderProject(await getJson('api/project'));
  } catch (error) {
    readFailed('project', error);
  }
}

// ---------------------------------------------------------------- services table

export function createRow(name) {
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

export function updateRow(entry, row, now) {
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
export function tickUptime(entry, now) {
  const { row } = entry;
  text(entry.c.uptime, row.uptime_ms == null ? '-' : formatUptime(row.uptime_ms + (now - entry.receivedAt)));
}

export function renderRows(rows) {
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
