/**
 * The URL space of the dashboard as data: a request's method and path in, the route it
 * names (or why none) out. Pure, so the router's edges (encoded slashes, `..`, a GET to a
 * change) are unit-tested without a server.
 *
 * Paths are split on `/` before any segment is decoded: `%2F` stays inside its segment, and
 * `..` is a name like any other (no service is called that), so no route ever sees a path.
 */
export type Route =
  | { kind: 'page' }
  | { kind: 'file'; name: string }
  | { kind: 'project' }
  | { kind: 'services' }
  | { kind: 'logs'; service: string; lines: number }
  | { kind: 'plan' }
  | { kind: 'events' }
  | { kind: 'session' }
  | { kind: 'action'; verb: 'start' | 'stop' | 'restart'; target: string | undefined };

export type Routed =
  | { ok: true; route: Route }
  | { ok: false; status: 404 | 405 | 400; error: string; allow?: string };

export const DEFAULT_LOG_LINES = 200;
export const MAX_LOG_LINES = 5000;

const VERBS = new Set(['start', 'stop', 'restart']);
const PROJECT_VERBS = { up: 'start', down: 'stop', restart: 'restart' } as const;

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function route(method: string, url: string): Routed {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const parts = rawPath.split('/').slice(1).map(decode);
  const notFound: Routed = { ok: false, status: 404, error: `no such page: ${rawPath}` };
  if (parts.some((p) => p === undefined)) return notFound;
  const seg = parts as string[];
  const get = (r: Route): Routed =>
    method === 'GET' || method === 'HEAD'
      ? { ok: true, route: r }
      : { ok: false, status: 405, error: `${rawPath} is read with GET`, allow: 'GET, HEAD' };
  const post = (r: Route): Routed =>
    method === 'POST'
      ? { ok: true, route: r }
      : { ok: false, status: 405, error: `${rawPath} changes something: only POST does that`, allow: 'POST' };

  if (seg.length === 1 && (seg[0] === '' || seg[0] === 'index.html')) return get({ kind: 'page' });
  if (seg.length === 1 && seg[0] !== 'api') return get({ kind: 'file', name: seg[0]! });
  if (seg[0] !== 'api') return notFound;
  const [, what, name, verb] = seg;
  if (seg.length === 2) {
    if (what === 'project') return get({ kind: 'project' });
    if (what === 'services') return get({ kind: 'services' });
    if (what === 'plan') return get({ kind: 'plan' });
    if (what === 'events') return get({ kind: 'events' });
    if (what === 'session') return get({ kind: 'session' });
    if (what === 'up' || what === 'down' || what === 'restart')
      return post({ kind: 'action', verb: PROJECT_VERBS[what], target: undefined });
    return notFound;
  }
  if (seg.length === 3 && what === 'logs' && name !== '') {
    const asked = query.get('lines');
    const n = asked === null ? DEFAULT_LOG_LINES : Number(asked);
    if (!Number.isInteger(n) || n < 0)
      return { ok: false, status: 400, error: `lines=${asked}: expected a whole number of lines` };
    return get({ kind: 'logs', service: name!, lines: Math.min(n, MAX_LOG_LINES) });
  }
  if (seg.length === 4 && what === 'services' && name !== '' && VERBS.has(verb!))
    return post({ kind: 'action', verb: verb as 'start' | 'stop' | 'restart', target: name });
  return notFound;
}
