// @ts-check
/**
 * What every page of the dashboard needs and finds no element for: building nodes, safe
 * links, JSON reads and the session token. The project page (kit.js re-exports these) and
 * the all-projects page (all.js) both use it; kit.js itself finds the project page's
 * elements as it loads, so the other page cannot import it.
 */

export function h(tag, attrs = {}, ...children) {
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
/** Forget the token: the next POST asks /api/session again (after a 401, or a reconnect). */
export function forgetToken() {
  session = null;
}
export function token() {
  session ??= getJson('api/session').then(
    (s) => String(s?.token ?? ''),
    () => {
      session = null;
      return '';
    },
  );
  return session;
}

/** `exited (3)`, `exited (SIGKILL)`, `exited (code unknown)`: as `uiprocs ps`. */
export function exitText(row) {
  return `exited (${row.exit_code ?? row.exit_signal ?? 'code unknown'})`;
}

/** Only http(s) URLs become links: a `javascript:` URL must never be clickable. */
export function safeUrl(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

export async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok)
    throw Object.assign(new Error(body?.error ?? `${path}: HTTP ${res.status}`), { status: res.status });
  return body;
}
