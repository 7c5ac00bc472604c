// @ts-check
/** The page's kit: constants, the elements it finds, its state, DOM and format helpers, the token, messages. */
import { h } from './page-kit.js';

export { exitText, forgetToken, getJson, h, safeUrl, token } from './page-kit.js';

/** How much history the CPU and memory sparklines show. */
export const HISTORY_MS = 5 * 60 * 1000;
/** How many log lines the pane keeps (older ones are dropped from the page, not from the file). */
export const MAX_LOG_LINES = 5000;
/** How many lines the pane asks for when it (re)loads a log. */
export const TAIL_LINES = 500;
export const SVG = 'http://www.w3.org/2000/svg';

export const $ = (sel) => document.querySelector(sel);

export const el = {
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

export const state = {
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
export function text(node, value) {
  const s = value == null ? '' : String(value);
  if (node.textContent !== s) node.textContent = s;
}

export function formatUptime(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function formatBytes(bytes) {
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

export function formatPercent(p) {
  return p < 10 && p !== 0 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

/** Terminal colour codes make log lines unreadable as text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
export const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

/**
 * A failed read, shown unless it is 409 (the manifest cannot be used): the plan pane
 * shows those located errors already, and saying them again per read showed them thrice.
 */
export function readFailed(what, error) {
  if (error.status !== 409) showError(what, error.message);
}

// ---------------------------------------------------------------- messages

export function showError(what, message) {
  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'dismiss' }, '×');
  const li = h('li', { 'data-error': true }, h('strong', {}, what), ': ', h('span', {}, message), close);
  close.addEventListener('click', () => li.remove());
  el.errors.append(li);
  while (el.errors.children.length > 5) el.errors.firstElementChild.remove();
}

export let messageTimer = 0;
export function showMessage(message) {
  text(el.message, message);
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => text(el.message, ''), 6000);
}
