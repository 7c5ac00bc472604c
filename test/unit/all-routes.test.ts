import { describe, expect, it } from 'vitest';
import { routeAll } from '../../src/dashboard/all-routes.js';

describe('dashboard --all routes', () => {
  it('names the list, the session, a project mount with its rest and query, and the files', () => {
    expect(routeAll('GET', '/?token=x')).toEqual({ ok: true, route: { kind: 'page' } });
    expect(routeAll('GET', '/api/projects')).toEqual({ ok: true, route: { kind: 'projects' } });
    expect(routeAll('GET', '/api/session')).toEqual({ ok: true, route: { kind: 'session' } });
    expect(routeAll('GET', '/all.js')).toEqual({ ok: true, route: { kind: 'file', name: 'all.js' } });
    expect(routeAll('POST', '/p/ocr-1234abcd/api/services/web/stop')).toEqual({
      ok: true,
      route: { kind: 'project', id: 'ocr-1234abcd', rest: '/api/services/web/stop' },
    });
    expect(routeAll('GET', '/p/ocr-1234abcd/api/logs/web?lines=5')).toMatchObject({
      route: { rest: '/api/logs/web?lines=5' },
    });
    expect(routeAll('GET', '/p/ocr-1234abcd/')).toMatchObject({ route: { kind: 'project', rest: '/' } });
  });

  it('redirects a mount without its slash (relative URLs need it), keeping the query', () => {
    expect(routeAll('GET', '/p/a-1?token=t')).toEqual({
      ok: true,
      route: { kind: 'redirect', location: '/p/a-1/?token=t' },
    });
  });

  it('refuses changes outside a project, bad encodings, an id with a slash, and unknown api paths', () => {
    expect(routeAll('POST', '/api/projects')).toMatchObject({ ok: false, status: 405 });
    expect(routeAll('POST', '/')).toMatchObject({ ok: false, status: 405 });
    expect(routeAll('GET', '/p/%E0%A4%A/x')).toMatchObject({ ok: false, status: 404 });
    expect(routeAll('GET', '/p/a%2Fb/api/services')).toMatchObject({ ok: false, status: 404 });
    expect(routeAll('GET', '/p//api/services')).toMatchObject({ ok: false, status: 404 });
    expect(routeAll('GET', '/api/services')).toMatchObject({ ok: false, status: 404 });
  });
});
