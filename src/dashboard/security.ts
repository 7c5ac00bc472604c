/**
 * Who may talk to the dashboard, decided per request before any route runs. The rules
 * (docs/DASHBOARD-API.md) answer the ways a local web UI gets attacked:
 *
 * - **Another local user.** Loopback is shared by every user of the machine, so being on
 *   127.0.0.1 proves nothing. Every request — the page, its files, every read, the event
 *   stream — needs the session token, and no answer ever hands it out. The token reaches
 *   its owner out of band: in the URL `up`, `ps` and `dashboard` print (`?token=`), and in
 *   `<state_dir>/dashboard.token`, mode 0600 inside the 0700 state dir
 *   (state/dashboard-token.ts). Opening the URL turns it into a cookie.
 * - **Other pages on 127.0.0.1.** Cookies ignore ports, so the Streamlit or Jupyter UI on
 *   another port could read a script-visible cookie: it is `HttpOnly`. Those pages are
 *   also *same-site*, so `SameSite=Strict` alone would still attach it to their requests:
 *   a request whose `Sec-Fetch-Site` says another page (same-site or cross-site) sent it is
 *   refused, unless it is the user following a link to the page itself.
 * - **DNS rebinding.** A page on evil.example can make its own name resolve to 127.0.0.1
 *   and then read the dashboard as "same origin". The browser still sends `Host:
 *   evil.example:PORT`, so only the dashboard's own names are accepted (tilt's HUD server
 *   and Jupyter check the same way).
 * - **Cross-site requests (CSRF).** supervisord's page changed state with plain GET links
 *   and no token (CVE-2019-12105 is its unauthenticated variant). Here GET never changes
 *   anything, and a change is a POST that must carry the token in the `X-Uiprocs-Token`
 *   header, which a form cannot set and a script of another origin cannot learn (the page
 *   reads it from `GET /api/session`, which no other origin can read: no CORS header is
 *   ever sent). An `Origin`, when sent, must be the dashboard's own.
 *
 * Pure: a request's method, URL and headers in, a verdict out, so every rule is a unit test.
 */
import { timingSafeEqual } from 'node:crypto';

/**
 * The session cookie's name, one per port: cookies ignore ports, so two dashboards open
 * at once (two projects) would otherwise overwrite each other's token.
 */
export function cookieName(port: number): string {
  return `uiprocs_token_${port}`;
}
export const TOKEN_HEADER = 'x-uiprocs-token';

/** `host:port` as a Host header writes it (IPv6 in brackets). */
export function hostHeaderOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export interface Gate {
  token: string;
  /** This dashboard's cookie (cookieName). */
  cookie: string;
  /** Host header values accepted, lower case. */
  hosts: ReadonlySet<string>;
}

/**
 * The Host values a dashboard on `bind:port` answers to: the loopback names, plus the
 * address it was told to bind (and, for a wildcard bind, `extraNames`: the machine's own
 * addresses and host name, the only names a remote browser can use for it).
 */
export function makeGate(
  bind: string,
  port: number,
  token: string,
  extraNames: readonly string[] = [],
): Gate {
  const names = new Set<string>();
  for (const n of ['127.0.0.1', 'localhost', '::1', bind, ...extraNames])
    names.add(hostHeaderOf(n, port).toLowerCase());
  return { token, cookie: cookieName(port), hosts: names };
}

export interface RequestFacts {
  method: string;
  /** The request's path and query (`/api/services?x=1`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** `setCookie`: the request brought the token in `?token=`; the answer turns it into the cookie. */
export type Verdict = { ok: true; setCookie: boolean } | { ok: false; status: 401 | 403; error: string };

/** Equal strings, compared in constant time (a token is not guessed byte by byte). */
export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const all = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of all.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function one(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

const refuse = (error: string, status: 401 | 403 = 403): Verdict => ({ ok: false, status, error });

/** What a refused request without the token is told: where its owner finds the token. */
export const NEEDS_TOKEN =
  'this dashboard needs its session token: open the URL `uiprocs dashboard` or `uiprocs ps` printed ' +
  '(it ends in ?token=…), or send the X-Uiprocs-Token header with the token in <state_dir>/dashboard.token';

/** The rules of the module comment, in order; the first broken one refuses the request. */
export function judge(req: RequestFacts, gate: Gate): Verdict {
  const host = one(req.headers.host)?.toLowerCase();
  if (host === undefined || !gate.hosts.has(host))
    return refuse(`Host ${JSON.stringify(host ?? '')} is not this dashboard's address`);
  const path = req.url.split('?')[0];
  const isPage = (req.method === 'GET' || req.method === 'HEAD') && (path === '/' || path === '/index.html');
  const site = one(req.headers['sec-fetch-site'])?.toLowerCase();
  const navigation = one(req.headers['sec-fetch-mode'])?.toLowerCase() === 'navigate';
  if ((site === 'same-site' || site === 'cross-site') && !(isPage && navigation))
    return refuse(`a request from another page (Sec-Fetch-Site: ${site}) is refused`);
  const cookie = sameToken(cookieValue(req.headers.cookie, gate.cookie), gate.token);
  const header = sameToken(one(req.headers[TOKEN_HEADER]), gate.token);
  const queryToken = isPage ? new URLSearchParams(req.url.split('?')[1] ?? '').get('token') : null;
  const viaQuery = queryToken !== null && sameToken(queryToken, gate.token);
  if (!cookie && !header && !viaQuery) return refuse(NEEDS_TOKEN, 401);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    if (!header) return refuse(`a change needs the ${TOKEN_HEADER} header with the session token`);
    const origin = one(req.headers.origin);
    if (origin !== undefined && origin.toLowerCase() !== `http://${host}`)
      return refuse(`Origin ${JSON.stringify(origin)} is not this dashboard`);
  }
  return { ok: true, setCookie: viaQuery };
}

/**
 * The cookie a visit with `?token=` gets: HttpOnly (no script, on any port of this host,
 * reads it), SameSite=Strict (no other site's request carries it), for this port's name.
 */
export function tokenCookie(token: string, name: string): string {
  return `${name}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}
