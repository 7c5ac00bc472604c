/**
 * The URL space of `uiprocs dashboard --all` as data (routes.ts is one project's):
 *
 * ```
 * /                  the list of every project (all.html)
 * /api/projects      GET: each project with its rows
 * /api/session       GET: the token the page echoes in its POSTs
 * /p/<id>            → /p/<id>/ (so the project page's relative URLs resolve under it)
 * /p/<id>/<rest>     that project's own dashboard (routes.ts), its actions through its own converge
 * /<file>            the page's files
 * ```
 *
 * Pure; `<id>` is one decoded segment (a project id never has a `/`).
 */
export type AllRoute =
  | { kind: 'page' }
  | { kind: 'file'; name: string }
  | { kind: 'projects' }
  | { kind: 'session' }
  | { kind: 'redirect'; location: string }
  | { kind: 'project'; id: string; rest: string };

export type AllRouted =
  | { ok: true; route: AllRoute }
  | { ok: false; status: 404 | 405; error: string; allow?: string };

export function routeAll(method: string, url: string): AllRouted {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  const notFound: AllRouted = { ok: false, status: 404, error: `no such page: ${path}` };
  const read = (r: AllRoute): AllRouted =>
    method === 'GET' || method === 'HEAD'
      ? { ok: true, route: r }
      : { ok: false, status: 405, error: `${path} is read with GET`, allow: 'GET, HEAD' };
  const parts = path.split('/').slice(1);
  if (parts[0] === 'p' && parts.length >= 2) {
    let id: string;
    try {
      id = decodeURIComponent(parts[1]!);
    } catch {
      return notFound;
    }
    if (id === '' || id.includes('/')) return notFound;
    if (parts.length === 2) return read({ kind: 'redirect', location: `/p/${parts[1]}/${query}` });
    return { ok: true, route: { kind: 'project', id, rest: `/${parts.slice(2).join('/')}${query}` } };
  }
  if (parts.length === 1 && (parts[0] === '' || parts[0] === 'index.html')) return read({ kind: 'page' });
  if (path === '/api/projects') return read({ kind: 'projects' });
  if (path === '/api/session') return read({ kind: 'session' });
  if (parts.length === 1 && parts[0] !== 'api') return read({ kind: 'file', name: parts[0]! });
  return notFound;
}
