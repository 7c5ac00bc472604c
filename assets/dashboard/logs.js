// @ts-check
/** The log pane: one service or all, a filter, following the end as Tilt's pane does. */
import { ANSI, el, getJson, h, MAX_LOG_LINES, readFailed, state, TAIL_LINES, text } from './kit.js';

// ---------------------------------------------------------------- logs

export function serviceNames() {
  const names = new Set((state.project?.services ?? []).map((s) => s.name));
  for (const name of state.rows.keys()) names.add(name);
  return [...names];
}

export function renderLogSelect() {
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

export function renderLogPath(path) {
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

export function selectLog(name) {
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
export const atEnd = () => el.logLines.scrollTop + el.logLines.clientHeight >= el.logLines.scrollHeight - 4;
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
export function resumeFollow() {
  el.logFollow.checked = true;
}

export function logMatches(entry) {
  const filter = el.logFilter.value.trim().toLowerCase();
  return filter === '' || entry.line.toLowerCase().includes(filter) || entry.service.toLowerCase() === filter;
}

/**
 * One line: when it was written (local time to the millisecond; `~` when it is only an upper
 * bound, written while nothing stamped — the full ISO time in its title), the service with
 * "all", then the text.
 */
export function logNode(entry) {
  const node = h('div', { 'data-log-line': true, 'data-stream': entry.stream ?? 'unknown' });
  if (entry.time) {
    const at = new Date(entry.time);
    const clock = `${at.toLocaleTimeString([], { hour12: false })}.${String(at.getMilliseconds()).padStart(3, '0')}`;
    node.append(
      h(
        'time',
        {
          class: 't',
          datetime: entry.time,
          title: entry.approx ? `at the latest ${entry.time}` : entry.time,
        },
        `${entry.approx ? '~' : ''}${clock}`,
      ),
    );
  }
  if (state.logSel === 'all') node.append(h('span', { class: `svc c${hue(entry.service)}` }, entry.service));
  node.append(entry.line);
  return node;
}

export function hue(name) {
  let n = 0;
  for (const ch of name) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return n % 6;
}

export function renderLogs() {
  el.logLines.replaceChildren(...state.logLines.filter(logMatches).map(logNode));
  if (el.logFollow.checked) scrollToEnd();
}

export function scrollToEnd() {
  el.logLines.scrollTop = el.logLines.scrollHeight;
}

/** Lines stay in the order they were written: a line of another service written earlier goes before later ones. */
export function appendLog(entry) {
  let at = state.logLines.length;
  while (at > 0 && entry.time && state.logLines[at - 1].time > entry.time) at--;
  if (at < state.logLines.length) {
    state.logLines.splice(at, 0, entry);
    if (state.logLines.length > MAX_LOG_LINES)
      state.logLines.splice(0, state.logLines.length - MAX_LOG_LINES);
    renderLogs();
    return;
  }
  state.logLines.push(entry);
  if (logMatches(entry)) el.logLines.append(logNode(entry));
  if (state.logLines.length > MAX_LOG_LINES) {
    const dropped = state.logLines.splice(0, state.logLines.length - MAX_LOG_LINES);
    // The oldest nodes are the oldest matching lines: drop as many as matched.
    for (const d of dropped) if (logMatches(d)) el.logLines.firstElementChild?.remove();
  }
}

export let followFrame = 0;
export function onLogEvent(entry) {
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
export async function loadTail() {
  const sel = state.logSel;
  const load = ++state.logLoad;
  state.logPending = [];
  renderLogPath();
  let lines = [];
  try {
    const body = await getJson(`api/logs/${encodeURIComponent(sel)}?lines=${TAIL_LINES}`);
    if (load !== state.logLoad) return;
    lines = body.entries ?? body.lines ?? [];
    if (body.path) renderLogPath(body.path);
  } catch (error) {
    if (load !== state.logLoad) return;
    readFailed(`log of ${sel}`, error);
  }
  const pending = state.logPending;
  state.logPending = null;
  lines = lines.map((l) => ({ ...l, line: l.line.replace(ANSI, '') }));
  state.logLines = lines.slice(-MAX_LOG_LINES);
  let skip = overlap(lines, pending);
  for (const entry of pending) {
    if (skip > 0) skip -= 1;
    else state.logLines.push(entry);
  }
  renderLogs();
}

/** The longest run of `pending`'s first lines that is also the end of `tail`. */
export function overlap(tail, pending) {
  const same = (a, b) => a.service === b.service && a.line === b.line;
  for (let n = Math.min(tail.length, pending.length); n > 0; n--) {
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = same(tail[tail.length - n + i], pending[i]);
    if (ok) return n;
  }
  return 0;
}
