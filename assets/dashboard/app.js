// @ts-check
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

import { ANSI, el, forgetToken, getJson, readFailed, state, text } from './kit.js';
import { loadTail, onLogEvent } from './logs.js';
import { planEventArrived, renderPlan } from './plan.js';
import { refreshProject, renderProject, renderRows } from './services.js';

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
  source = new EventSource('api/events');
  source.addEventListener('open', () => {
    text(el.conn, 'live');
    el.conn.className = 'conn live';
    if (lostOnce) {
      // A dashboard served again (the supervisor replaced) keeps the project's token; ask anew anyway.
      forgetToken();
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
      onLogEvent({
        service: String(entry.service),
        line: entry.line.replace(ANSI, ''),
        ...(typeof entry.time === 'string' ? { time: entry.time } : {}),
        ...(entry.approx === true ? { approx: true } : {}),
        ...(typeof entry.stream === 'string' ? { stream: entry.stream } : {}),
      });
    }
  });
  source.addEventListener('plan', (e) => {
    const plan = parse(e);
    if (plan) {
      planEventArrived(); // an event is newer than any GET still on its way
      renderPlan(plan);
      // The manifest changed: groups, services and log paths may have too.
      refreshProject();
    }
  });
}

// ---------------------------------------------------------------- start

/** The `?token=` the page was opened with is in the cookie now: keep it out of history and sight. */
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname);

const services = getJson('api/services');
const project = getJson('api/project');
connect();
services.then(
  (rows) => state.live || renderRows(rows),
  (error) => readFailed('services', error),
);
project.then(renderProject, (error) => readFailed('project', error));
loadTail();
