// @ts-check
/**
 * `uiprocs dashboard --all`: every project of the user (GET api/projects, every second), each
 * with its services and their controls. A click is a POST to that project's own dashboard,
 * mounted at `p/<id>/` (src/dashboard/all-server.ts), so it runs through that project's
 * converge and lock; "open" is that project's full page (logs, plan, charts).
 */

import { exitText, forgetToken, getJson, h, safeUrl, token } from './page-kit.js';

const $ = (sel) => document.querySelector(sel);
const root = $('[data-projects]');
const conn = $('[data-conn]');
const errors = $('[data-errors]');
const message = $('[data-message]');
const POLL_MS = 1000;

function showError(what, why) {
  const li = h('li', { 'data-error': true }, h('strong', {}, what), ': ', why);
  errors.append(li);
  while (errors.children.length > 5) errors.firstElementChild.remove();
}

const statusText = (row) =>
  row.status === 'exited' ? exitText(row) : row.health ? `${row.status} (${row.health})` : row.status;

function serviceRow(project, row) {
  const url = safeUrl(row.url);
  const buttons = ['start', 'stop', 'restart'].map((action) =>
    h(
      'button',
      {
        type: 'button',
        'data-project-id': project.id,
        'data-service': row.name,
        'data-action': action,
        'aria-label': `${action} ${row.name} of ${project.name}`,
      },
      action,
    ),
  );
  return h(
    'tr',
    { 'data-row': row.name, 'data-status': row.status },
    h('th', { scope: 'row' }, row.name),
    h(
      'td',
      { class: 'status' },
      statusText(row),
      row.note ? h('span', { class: 'note' }, ` ${row.note}`) : '',
    ),
    h('td', {}, url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, url) : '-'),
    h('td', { class: 'num' }, row.pid == null ? '-' : String(row.pid)),
    h('td', { class: 'actions' }, ...buttons),
  );
}

function projectSection(project) {
  const open = h('a', { href: `p/${encodeURIComponent(project.id)}/`, 'data-open': true }, 'open');
  const controls = ['start', 'stop', 'restart'].map((action) =>
    h(
      'button',
      {
        type: 'button',
        'data-project-id': project.id,
        'data-action': action,
        'aria-label': `${action} ${project.name}`,
      },
      action,
    ),
  );
  const table = h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['name', 'status', 'url', 'pid'].map((t) => h('th', { scope: 'col' }, t)),
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'actions')),
      ),
    ),
    h('tbody', {}, ...project.services.map((row) => serviceRow(project, row))),
  );
  return h(
    'section',
    { class: 'services', 'data-project': project.name, 'data-id': project.id, 'aria-label': project.name },
    h(
      'h2',
      {},
      `${project.name} `,
      h('span', { class: 'meta', 'data-counts': true }, `${project.running}/${project.total} running`),
      ' ',
      h('code', { class: 'path' }, project.folder),
      project.supervised ? h('span', { class: 'meta' }, ` · ${project.supervised}`) : '',
      ' ',
      open,
    ),
    h('fieldset', { class: 'controls' }, h('legend', { class: 'label' }, 'project'), ...controls),
    project.error ? h('pre', { class: 'error' }, project.error) : '',
    table,
  );
}

let busy = 0;
async function refresh() {
  try {
    const projects = await getJson('api/projects');
    conn.textContent = `${projects.length} project${projects.length === 1 ? '' : 's'}`;
    // Redrawn whole, but not under a click in flight (its button would vanish mid-action).
    if (busy === 0)
      root.replaceChildren(
        ...(projects.length === 0
          ? [h('p', { class: 'empty' }, 'no project yet: `uiprocs up` in a project registers it')]
          : projects.map(projectSection)),
      );
    document.body.dataset.ready = '';
  } catch (error) {
    conn.textContent = `the dashboard did not answer (${error.message})`;
  }
}

document.addEventListener('click', async (event) => {
  const button = /** @type {HTMLButtonElement | null} */ (
    /** @type {Element} */ (event.target).closest('button[data-action]')
  );
  if (!button || button.disabled) return;
  const { projectId, service, action } = button.dataset;
  if (!projectId || !['start', 'stop', 'restart'].includes(action ?? '')) return;
  const base = `p/${encodeURIComponent(projectId)}/api/`;
  const verbs = { start: 'up', stop: 'down', restart: 'restart' };
  const path = service
    ? `${base}services/${encodeURIComponent(service)}/${action}`
    : `${base}${verbs[action]}`;
  const what = `${action} ${service ?? 'project'}`;
  busy += 1;
  button.disabled = true;
  try {
    const res = await fetch(path, { method: 'POST', headers: { 'X-Uiprocs-Token': await token() } });
    const body = await res.json().catch(() => null);
    if (!res.ok || body?.ok === false) {
      if (res.status === 401 || res.status === 403) forgetToken();
      showError(what, body?.error ?? `HTTP ${res.status}`);
    } else message.textContent = `${what}: ${body?.message || 'done'}`;
  } catch (error) {
    showError(what, `the dashboard did not answer (${error.message})`);
  } finally {
    busy -= 1;
    button.disabled = false;
    refresh();
  }
});

refresh();
// A hidden tab asks nothing: each look reads every project's records and /proc.
setInterval(() => {
  if (!document.hidden) refresh();
}, POLL_MS);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh();
});
