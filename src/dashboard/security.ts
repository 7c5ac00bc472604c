/**
 * Who may talk to the dashboard, decided per request before any route runs. The rules are
 * the contract's (DASHBOARD-API.md) and answer the ways local web UIs get attacked:
 *
 * - **DNS rebinding.** A page on evil.example can make its own name resolve to 127.0.0.1
 *   and then read the dashboard as "same origin". The browser still sends `Host:
 *   evil.example:PORT`, so only the dashboard's own names are accepted (tilt's HUD server
 *   and Jupyter check the same way).
 * - **Cross-site requests (CSRF).** supervisord's page changed state with plain GET links
 *   and no token (CVE-2019-12105 is its unauthenticated variant). Here GET never changes
 *   anything, and a change is a POST that must carry the session token twice: in the
 *   `SameSite=Strict` cookie (which a cross-site request does not get) and in the
 *   `X-Uiprocs-Token` header (which a cross-site form cannot set without a CORS preflight,
 *   and no CORS header is ever sent). An `Origin`, when sent, must be the dashboard's own.
 * - **Another address.** Bound beyond the loopback names, anyone who can reach the port
 *   could read it, so every request needs the token then (printed at start in the URL).
 *
 * Pure: a request's method, URL and headers in, a verdict out, so every rule is a unit test.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The session cookie's name, one per port: cookies ignore ports, so two dashboards open
 * at once (two projects) would otherwise overwrite each other's token.
 */
export function cookieName(port: number): string {
  return `uiprocs_token_${port}`;
}
export const TOKEN_HEADER = 'x-uiprocs-token';

/** The loopback names a default dashboard answers to. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** 32 random bytes, hex: the session token of one dashboard run. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Whether binding to `host` keeps the dashboard to this machine's loopback names. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase());
}

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
  /** A non-loopback bind: every request needs the token. */
  tokenOnEveryRequest: boolean;
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
  return { token, cookie: cookieName(port), hosts: names, tokenOnEveryRequest: !isLoopbackHost(bind) };
}

export interface RequestFacts {
  method: string;
  /** The request's path and query (`/api/services?x=1`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Verdict = { ok: true; setCookie: boolean } | { ok: false; status: 403; error: string };

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

const refuse = (error: string): Verdict => ({ ok: false, status: 403, error });

/** The rules of the module comment, in order; the first broken one refuses the request. */
export function judge(req: RequestFacts, gate: Gate): Verdict {
  const host = one(req.headers.host)?.toLowerCase();
  if (host === undefined || !gate.hosts.has(host))
    return refuse(`Host ${JSON.stringify(host ?? '')} is not this dashboard's address`);
  const cookie = sameToken(cookieValue(req.headers.cookie, gate.cookie), gate.token);
  const header = sameToken(one(req.headers[TOKEN_HEADER]), gate.token);
  const path = req.url.split('?')[0];
  const isPage = (req.method === 'GET' || req.method === 'HEAD') && path === '/';
  const queryToken = isPage ? new URLSearchParams(req.url.split('?')[1] ?? '').get('token') : null;
  const viaQuery = queryToken !== null && sameToken(queryToken, gate.token);
  if (gate.tokenOnEveryRequest && !cookie && !header && !viaQuery)
    return refuse('this dashboard listens beyond loopback: open the URL with ?token= it printed');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    if (!header) return refuse(`a change needs the ${TOKEN_HEADER} header with the session token`);
    if (!cookie) return refuse(`a change needs the ${gate.cookie} cookie of this session`);
    const origin = one(req.headers.origin);
    if (origin !== undefined && origin.toLowerCase() !== `http://${host}`)
      return refuse(`Origin ${JSON.stringify(origin)} is not this dashboard`);
  }
  return { ok: true, setCookie: isPage };
}

/** The cookie `GET /` sets: the page reads it (not HttpOnly) to echo it in its POSTs. */
export function tokenCookie(token: string, name: string): string {
  return `${name}=${token}; Path=/; SameSite=Strict`;
}
