import { describe, expect, it } from 'vitest';
import { route } from '../../src/dashboard/routes.js';
import { cookieValue, judge, makeGate, tokenCookie } from '../../src/dashboard/security.js';

const token = 'a'.repeat(64);
const loop = makeGate('127.0.0.1', 4000, token);
const good = {
  host: '127.0.0.1:4000',
  cookie: `other=1; uiprocs_token_4000=${token}; uiprocs_token_5000=${'b'.repeat(64)}`,
  'x-uiprocs-token': token,
  origin: 'http://127.0.0.1:4000',
};

describe('dashboard security: judge', () => {
  const withCookie = { host: good.host, cookie: good.cookie };
  it('accepts only its own loopback names and port as Host', () => {
    for (const host of ['127.0.0.1:4000', 'localhost:4000', '[::1]:4000', 'LOCALHOST:4000'])
      expect(judge({ method: 'GET', url: '/', headers: { ...withCookie, host } }, loop).ok, host).toBe(true);
    for (const host of [
      'evil.example:4000',
      '127.0.0.1',
      '127.0.0.1:4001',
      'localhost.evil.example:4000',
      '',
    ])
      expect(judge({ method: 'GET', url: '/', headers: { ...withCookie, host } }, loop).ok, host).toBe(false);
    expect(judge({ method: 'GET', url: '/', headers: { cookie: good.cookie } }, loop).ok).toBe(false);
  });

  it('every request needs the token, reads and the page included: loopback proves nothing', () => {
    for (const url of [
      '/',
      '/index.html',
      '/app.js',
      '/api/services',
      '/api/logs/all',
      '/api/events',
      '/api/session',
    ])
      expect(judge({ method: 'GET', url, headers: { host: good.host } }, loop), url).toMatchObject({
        ok: false,
        status: 401,
      });
    // A wrong, short or other port's token is no token.
    for (const cookie of [
      `uiprocs_token_4000=${'b'.repeat(64)}`,
      `uiprocs_token_4000=${token.slice(1)}`,
      `uiprocs_token_5000=${token}`,
    ])
      expect(
        judge({ method: 'GET', url: '/api/services', headers: { host: good.host, cookie } }, loop).ok,
      ).toBe(false);
    expect(judge({ method: 'GET', url: '/api/services', headers: withCookie }, loop)).toEqual({
      ok: true,
      setCookie: false,
    });
    expect(
      judge(
        { method: 'GET', url: '/api/services', headers: { host: good.host, 'x-uiprocs-token': token } },
        loop,
      ).ok,
    ).toBe(true);
    // Beyond loopback, the same rules.
    const wide = makeGate('192.0.2.7', 4000, token);
    const host = '192.0.2.7:4000';
    expect(judge({ method: 'GET', url: '/', headers: { host } }, wide).ok).toBe(false);
    expect(
      judge({ method: 'GET', url: '/api/services', headers: { host, cookie: good.cookie } }, wide).ok,
    ).toBe(true);
  });

  it('?token= opens the page only, and only that visit sets the cookie', () => {
    expect(judge({ method: 'GET', url: `/?token=${token}`, headers: { host: good.host } }, loop)).toEqual({
      ok: true,
      setCookie: true,
    });
    expect(judge({ method: 'GET', url: '/', headers: withCookie }, loop)).toEqual({
      ok: true,
      setCookie: false,
    });
    expect(
      judge({ method: 'GET', url: `/?token=${'b'.repeat(64)}`, headers: { host: good.host } }, loop).ok,
    ).toBe(false);
    expect(
      judge({ method: 'GET', url: `/api/services?token=${token}`, headers: { host: good.host } }, loop).ok,
    ).toBe(false);
    expect(judge({ method: 'POST', url: `/?token=${token}`, headers: { host: good.host } }, loop).ok).toBe(
      false,
    );
  });

  it('a POST needs the header, and a same-site Origin when one is sent', () => {
    const post = (headers: Record<string, string>) =>
      judge({ method: 'POST', url: '/api/up', headers }, loop).ok;
    expect(post(good)).toBe(true);
    const { origin: _o, ...noOrigin } = good;
    expect(post(noOrigin)).toBe(true);
    expect(post({ ...good, origin: 'http://evil.example' })).toBe(false);
    expect(post({ ...good, origin: 'null' })).toBe(false);
    expect(post({ ...good, origin: 'http://localhost:4000' })).toBe(false);
    expect(post({ ...good, origin: 'http://127.0.0.1:8501' })).toBe(false);
    expect(post({ ...good, 'x-uiprocs-token': 'b'.repeat(64) })).toBe(false);
    expect(post({ ...good, 'x-uiprocs-token': token.slice(1) })).toBe(false);
    // The header alone is the token (a script with the token file); the cookie alone is not a change.
    const { cookie: _c, ...noCookie } = good;
    expect(post(noCookie)).toBe(true);
    const { 'x-uiprocs-token': _t, ...noHeader } = good;
    expect(post(noHeader)).toBe(false);
    expect(judge({ method: 'DELETE', url: '/api/up', headers: { host: good.host } }, loop).ok).toBe(false);
  });

  it('a request another page sent (Sec-Fetch-Site same-site or cross-site) is refused, token or not', () => {
    for (const site of ['same-site', 'cross-site']) {
      expect(
        judge({ method: 'POST', url: '/api/up', headers: { ...good, 'sec-fetch-site': site } }, loop).ok,
      ).toBe(false);
      expect(
        judge(
          { method: 'GET', url: '/api/session', headers: { ...withCookie, 'sec-fetch-site': site } },
          loop,
        ).ok,
      ).toBe(false);
      // Following a link to the page is a person's choice; the page loads (with the cookie, if any).
      expect(
        judge(
          {
            method: 'GET',
            url: '/',
            headers: { ...withCookie, 'sec-fetch-site': site, 'sec-fetch-mode': 'navigate' },
          },
          loop,
        ).ok,
      ).toBe(true);
    }
    for (const site of ['same-origin', 'none'])
      expect(
        judge({ method: 'POST', url: '/api/up', headers: { ...good, 'sec-fetch-site': site } }, loop).ok,
      ).toBe(true);
  });

  it('reads cookies and writes an HttpOnly, SameSite=Strict one', () => {
    expect(cookieValue('a=1; uiprocs_token=x ;b=2', 'uiprocs_token')).toBe('x');
    expect(cookieValue(undefined, 'uiprocs_token')).toBeUndefined();
    expect(cookieValue('xuiprocs_token=1', 'uiprocs_token')).toBeUndefined();
    expect(tokenCookie('t', 'uiprocs_token_4000')).toBe(
      'uiprocs_token_4000=t; Path=/; HttpOnly; SameSite=Strict',
    );
  });
});

describe('dashboard routes', () => {
  it('names the routes of the contract', () => {
    expect(route('GET', '/')).toEqual({ ok: true, route: { kind: 'page' } });
    expect(route('GET', '/app.js')).toEqual({ ok: true, route: { kind: 'file', name: 'app.js' } });
    expect(route('GET', '/api/services')).toEqual({ ok: true, route: { kind: 'services' } });
    expect(route('GET', '/api/session')).toEqual({ ok: true, route: { kind: 'session' } });
    expect(route('GET', '/api/logs/web?lines=9000')).toEqual({
      ok: true,
      route: { kind: 'logs', service: 'web', lines: 5000 },
    });
    expect(route('GET', '/api/logs/web').ok && route('GET', '/api/logs/web')).toMatchObject({
      route: { lines: 200 },
    });
    expect(route('POST', '/api/services/web/stop')).toEqual({
      ok: true,
      route: { kind: 'action', verb: 'stop', target: 'web' },
    });
    expect(route('POST', '/api/down')).toEqual({
      ok: true,
      route: { kind: 'action', verb: 'stop', target: undefined },
    });
  });

  it('a change is POST only, a read GET only; paths never escape their segment', () => {
    expect(route('GET', '/api/services/web/stop')).toMatchObject({ ok: false, status: 405, allow: 'POST' });
    expect(route('GET', '/api/up')).toMatchObject({ ok: false, status: 405 });
    expect(route('POST', '/api/services')).toMatchObject({ ok: false, status: 405 });
    expect(route('GET', '/api/logs/../../etc/passwd')).toMatchObject({ ok: false, status: 404 });
    expect(route('GET', '/api/logs/%2e%2e%2fetc')).toEqual({
      ok: true,
      route: { kind: 'logs', service: '../etc', lines: 200 },
    });
    expect(route('GET', '/api/logs/%E0%A4%A')).toMatchObject({ ok: false, status: 404 });
    expect(route('GET', '/api/logs/web?lines=-1')).toMatchObject({ ok: false, status: 400 });
    expect(route('POST', '/api/services/web/kill')).toMatchObject({ ok: false, status: 404 });
  });
});
