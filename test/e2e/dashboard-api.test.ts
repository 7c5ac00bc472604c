/**
 * `uiprocs dashboard` end to end, with raw HTTP (node:http, every header explicit, since
 * fetch will not send a Host of our choosing): the API answers as the contract says
 * (docs/DASHBOARD-API.md), its actions really start and stop processes, the events arrive
 * within a second, and every request the security rules refuse is refused with 401/403 *and
 * changes nothing* (the service keeps its PID) — including every request of a real second
 * unix user on the same loopback.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { otherUser, runAsOther } from '../helpers/other-user.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import {
  answers,
  type E2eProject,
  e2eProject,
  isGone,
  liveSupervisor,
  programs,
  psRows,
  supervisorRecord,
  trackProjects,
} from './harness.js';

const serve = join(programs, 'serve.mjs');
const echo = join(programs, 'echo-http.mjs');
const track = trackProjects();

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Board {
  child: ChildProcess;
  port: number;
  url: string;
  /** The Host header the dashboard answers to. */
  host: string;
  /** The session token, from the printed URL (the cookie `GET /?token=` sets carries the same). */
  token: string;
  /** A request with the session cookie (as the owner's browser sends it). */
  http(method: string, path: string, headers?: Record<string, string>, addr?: string): Promise<Reply>;
  /** A request without the cookie: anyone else on the machine. */
  anon(method: string, path: string, headers?: Record<string, string>): Promise<Reply>;
  /** A POST as the page makes it: token header, cookie, same-site Origin. */
  post(path: string): Promise<Reply>;
  json<T>(path: string): Promise<T>;
}

function rawHttp(
  addr: string,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: addr, port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts `uiprocs dashboard --port <free> …args` and waits for the URL it prints. */
async function startBoard(p: E2eProject, args: string[] = [], addr = '127.0.0.1'): Promise<Board> {
  const port = await freePort();
  const child = p.start(['dashboard', '--port', String(port), ...args]);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const url = await waitFor(() => /dashboard: (\S+)/.exec(out)?.[1], {
    timeout: 10_000,
    what: `the dashboard's URL (stderr: ${err})`,
  });
  const host = `${addr}:${port}`;
  const anon = (method: string, path: string, headers: Record<string, string> = {}, at = addr) =>
    rawHttp(at, port, method, path, { Host: host, ...headers });
  const token = /[?&]token=([0-9a-f]{64})$/.exec(url)?.[1];
  expect(token, `the printed URL carries the token: ${url}`).toBeDefined();
  const page = await anon('GET', `/?token=${token}`);
  expect(page.status).toBe(200);
  const cookie = String(page.headers['set-cookie'] ?? '');
  expect(cookie).toBe(`uiprocs_token_${port}=${token}; Path=/; HttpOnly; SameSite=Strict`);
  const auth = { Cookie: `uiprocs_token_${port}=${token}` };
  const http = (method: string, path: string, headers: Record<string, string> = {}, at = addr) =>
    anon(method, path, { ...auth, ...headers }, at);
  return {
    child,
    port,
    url,
    host,
    token: token!,
    http,
    anon,
    post: (path) =>
      http('POST', path, {
        'X-Uiprocs-Token': token!,
        Origin: `http://${host}`,
        'Content-Length': '0',
      }),
    async json<T>(path: string) {
      const r = await http('GET', path);
      expect(r.status, r.body).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      return JSON.parse(r.body) as T;
    },
  };
}

/** An open `/api/events` stream, its events parsed as they come. */
interface Events {
  seen: Array<{ event: string; data: unknown; at: number }>;
  next<T>(event: string, match: (data: T) => boolean, timeout?: number): Promise<{ data: T; at: number }>;
  close(): void;
}

function openEvents(board: Board, headers: Record<string, string> = {}): Promise<Events> {
  return new Promise((resolve, reject) => {
    const seen: Events['seen'] = [];
    const req = request(
      {
        host: '127.0.0.1',
        port: board.port,
        path: '/api/events',
        headers: { Host: board.host, Cookie: `uiprocs_token_${board.port}=${board.token}`, ...headers },
        agent: false,
      },
      (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event !== undefined && data !== undefined)
              seen.push({ event, data: JSON.parse(data), at: performance.now() });
          }
        });
        resolve({
          seen,
          next<T>(event: string, match: (data: T) => boolean, timeout = 5000) {
            return waitFor(
              () =>
                seen.find((e) => e.event === event && match(e.data as T)) as
                  | { data: T; at: number }
                  | undefined,
              {
                timeout,
                what: `a ${event} event (${seen.length} seen: ${seen.map((e) => e.event).join(', ')})`,
              },
            );
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const rowOf = (rows: StatusRow[], name: string) => rows.find((r) => r.name === name);

/** A project with two real servers, `web` (with a secret in its env) and `api` (prints a line per request). */
async function twoServices(): Promise<{ p: E2eProject; web: number; api: number }> {
  const p = track(e2eProject());
  const [web, api] = [await freePort(), await freePort()];
  p.write(
    `services:\n` +
      `  web: { command: [node, ${serve}, '${web}', 127.0.0.1], port: ${web}, env: { SECRET: hunter2 } }\n` +
      `  api: { command: [node, ${echo}, '${api}'], port: ${api}, group: backend }\n`,
  );
  await p.ok(['up']);
  return { p, web, api };
}

/** Rows without what moves on its own between two looks. */
const steady = (rows: StatusRow[]) =>
  rows.map(({ uptime_ms: _u, cpu_percent: _c, memory_bytes: _m, ...rest }) => rest);

describe('uiprocs dashboard: the API', () => {
  it('GET /api/services is ps --json; stop and start by POST change the real processes', async () => {
    const { p, web } = await twoServices();
    const board = await startBoard(p);
    expect(board.url).toBe(`http://127.0.0.1:${board.port}/?token=${board.token}`);
    const rows = await board.json<StatusRow[]>('/api/services');
    expect(steady(rows)).toEqual(steady(await psRows(p)));
    const pid = rowOf(rows, 'web')!.pid!;

    const stopped = await board.post('/api/services/web/stop');
    expect(stopped.status, stopped.body).toBe(200);
    expect(JSON.parse(stopped.body)).toMatchObject({ ok: true, actions: [{ service: 'web', kind: 'stop' }] });
    expect(isGone(pid)).toBe(true);
    expect(await answers(web)).toBe(false);
    expect(rowOf(await psRows(p), 'web')!.status).toBe('stopped');

    const started = await board.post('/api/services/web/start');
    expect(started.status, started.body).toBe(200);
    const again = rowOf(await psRows(p), 'web')!;
    expect(again.status).toBe('running');
    expect(again.pid).not.toBe(pid);
    expect(await answers(web)).toBe(true);

    // A group and the whole project, and an unknown name.
    expect((await board.post('/api/services/backend/restart')).status).toBe(200);
    expect((await board.post('/api/services/nope/stop')).status).toBe(404);
    const project = await board.json<{ groups: Record<string, string[]>; services: unknown[] }>(
      '/api/project',
    );
    expect(project.groups).toEqual({ backend: ['api'] });
    expect(project.services).toEqual([
      { name: 'web', groups: [], log_path: join(p.stateDir, 'logs/web.log') },
      { name: 'api', groups: ['backend'], log_path: join(p.stateDir, 'logs/api.log') },
    ]);
  });

  it('events: a services change within ~1 s of a CLI down, a log line within 1 s of being printed', async () => {
    const { p, api } = await twoServices();
    const board = await startBoard(p);
    const events = await openEvents(board);
    try {
      await events.next<StatusRow[]>('services', (rows) => rowOf(rows, 'web')?.status === 'running');
      await events.next('plan', () => true);

      const hit = performance.now();
      await new Promise<void>((resolve, reject) =>
        request({ host: '127.0.0.1', port: api, path: '/ping-from-test', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        })
          .on('error', reject)
          .end(),
      );
      const line = await events.next<{ service: string; line: string }>(
        'log',
        (d) => d.service === 'api' && d.line === 'got /ping-from-test',
      );
      expect(line.at - hit).toBeLessThan(1000);

      const down = await p.ok(['down', 'web']);
      const after = performance.now();
      expect(down.stderr).toContain('stopped');
      const gone = await events.next<StatusRow[]>(
        'services',
        (rows) => rowOf(rows, 'web')?.status === 'stopped',
      );
      // The look runs every second; a loaded CI machine adds its own delay to a look.
      expect(gone.at - after).toBeLessThan(2500);
      // The plan follows: `up` would start web again.
      await events.next<{ actions: Array<{ service: string; kind: string }> }>('plan', (plan) =>
        plan.actions.some((a) => a.service === 'web' && a.kind === 'start'),
      );
    } finally {
      events.close();
    }
  });

  it('the plan shows a service added to the manifest, POST /api/up starts it; an invalid manifest shows located errors', async () => {
    const { p, web, api } = await twoServices();
    const board = await startBoard(p);
    expect(await board.json('/api/plan')).toMatchObject({ ok: true, changed: false, actions: [] });
    const extra = await freePort();
    p.write(
      `services:\n` +
        `  web: { command: [node, ${serve}, '${web}', 127.0.0.1], port: ${web}, env: { SECRET: hunter2 } }\n` +
        `  api: { command: [node, ${echo}, '${api}'], port: ${api}, group: backend }\n` +
        `  extra: { command: [node, ${serve}, '${extra}', 127.0.0.1], port: ${extra} }\n`,
    );
    const plan = await board.json<{ ok: boolean; changed: boolean; actions: unknown[]; text: string }>(
      '/api/plan',
    );
    expect(plan).toMatchObject({ ok: true, changed: true, actions: [{ service: 'extra', kind: 'start' }] });
    expect(plan.text).toMatch(/^start\s+extra\s+/);
    const before = (await psRows(p)).filter((r) => r.pid !== null).map((r) => [r.name, r.pid]);
    expect(before).toHaveLength(2);
    const up = await board.post('/api/up');
    expect(up.status, up.body).toBe(200);
    expect(await answers(extra)).toBe(true);
    const rows = await psRows(p);
    expect(rowOf(rows, 'extra')!.status).toBe('running');
    // The others were left alone.
    for (const [name, pid] of before) expect(rowOf(rows, name as string)!.pid).toBe(pid);
    expect(await board.json('/api/plan')).toMatchObject({ ok: true, changed: false });

    p.write(`services:\n  web: { command: [node, ${serve}], port: 70000 }\n`);
    const bad = await board.json<{ ok: boolean; errors: Array<Record<string, unknown>>; text: string }>(
      '/api/plan',
    );
    expect(bad.ok).toBe(false);
    expect(bad.errors[0]).toMatchObject({ file: 'ui-procs.yaml', line: 4 });
    expect(bad.errors[0]!.source_line).toContain('70000');
    expect(bad.text).toMatch(/^ui-procs\.yaml:4:\d+: /);
    // Rows still come, from the records (as ps shows them), and up refuses with the errors.
    expect((await board.json<StatusRow[]>('/api/services')).map((r) => r.status)).toEqual([
      'running',
      'running',
      'running',
    ]);
    const refused = await board.post('/api/up');
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body).error).toContain('ui-procs.yaml:4');
  });

  it('an up from the page ensures a supervisor, as the command does', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n  web: { command: [node, ${serve}, '${port}', 127.0.0.1], port: ${port}, restart: always }\n`,
    );
    await p.ok(['up', '--no-supervise']);
    expect(supervisorRecord(p.stateDir)).toBeUndefined();
    const board = await startBoard(p);
    const up = await board.post('/api/up');
    expect(up.status, up.body).toBe(200);
    const sup = await liveSupervisor(p);
    expect((await board.json<{ supervisor: { pid: number } | null }>('/api/project')).supervisor?.pid).toBe(
      sup,
    );
    expect((await board.json<StatusRow[]>('/api/services'))[0]!.supervised).toBe(true);
  });

  it('follows logs only while a page is open', async () => {
    const { p } = await twoServices();
    const board = await startBoard(p);
    // libuv keeps its inotify descriptor once made; its fdinfo lists one `inotify wd:` line per watch.
    const watches = () =>
      readdirSync(`/proc/${board.child.pid}/fd`)
        .filter((fd) => {
          try {
            return readlinkSync(`/proc/${board.child.pid}/fd/${fd}`) === 'anon_inode:inotify';
          } catch {
            return false;
          }
        })
        .reduce(
          (n, fd) =>
            n +
            readFileSync(`/proc/${board.child.pid}/fdinfo/${fd}`, 'utf8')
              .split('\n')
              .filter((l) => l.startsWith('inotify wd:')).length,
          0,
        );
    expect(watches()).toBe(0);
    const events = await openEvents(board);
    await events.next('services', () => true);
    await waitFor(() => watches() > 0, { what: 'a log watch while a page is open' });
    events.close();
    await waitFor(() => watches() === 0, { what: 'no log watch once the page left' });
  });

  it('logs: by service name, all, and never a path from the request', async () => {
    const { p } = await twoServices();
    const board = await startBoard(p);
    const web = await board.json<{ service: string; path: string; lines: string[] }>('/api/logs/web?lines=5');
    expect(web).toEqual({
      service: 'web',
      path: join(p.stateDir, 'logs/web.log'),
      lines: [expect.stringMatching(/^listening on/)],
      // Each line with the time it was written (approximate: printed before the supervisor began).
      entries: [
        {
          service: 'web',
          line: expect.stringMatching(/^listening on/),
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          approx: true,
          stream: 'unknown',
        },
      ],
    });
    // "all": every service's lines, merged in the order they were written.
    const all = await board.json<{ lines: Array<{ service: string; time: string }> }>('/api/logs/all');
    expect(new Set(all.lines.map((l) => l.service))).toEqual(new Set(['web', 'api']));
    const times = all.lines.map((l) => Date.parse(l.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const path of [
      '/api/logs/../../etc/passwd',
      '/api/logs/%2e%2e%2fetc',
      '/api/logs/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/api/logs/..%2f..%2fetc%2fpasswd',
      '/api/logs/nope',
      '/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/package.json',
    ]) {
      const r = await board.http('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('root:');
    }
  });
});

describe('uiprocs dashboard: security (each refused request changes nothing)', () => {
  it('refuses a foreign Host, a POST without token, with a wrong token, from another Origin, and GET never changes', async () => {
    const { p, web } = await twoServices();
    const board = await startBoard(p);
    const pid = (await psRows(p)).find((r) => r.name === 'web')!.pid!;
    const good = {
      'X-Uiprocs-Token': board.token,
      Origin: `http://${board.host}`,
      'Content-Length': '0',
    };
    const refused: Array<[string, Promise<Reply>]> = [
      ['foreign Host, GET', board.http('GET', '/api/services', { Host: `evil.example:${board.port}` })],
      [
        'foreign Host, POST',
        board.http('POST', '/api/services/web/stop', { ...good, Host: `evil.example:${board.port}` }),
      ],
      ['Host without port', board.http('GET', '/', { Host: '127.0.0.1' })],
      ['no token', board.anon('POST', '/api/services/web/stop', { 'Content-Length': '0' })],
      ['cookie only', board.http('POST', '/api/services/web/stop', { 'Content-Length': '0' })],
      [
        'cross-site Origin',
        board.http('POST', '/api/services/web/stop', { ...good, Origin: 'http://evil.example' }),
      ],
      [
        'another page on 127.0.0.1 (same-site)',
        board.http('POST', '/api/services/web/stop', {
          ...good,
          Origin: 'http://127.0.0.1:8501',
          'Sec-Fetch-Site': 'same-site',
        }),
      ],
      [
        'wrong token',
        board.anon('POST', '/api/services/web/stop', {
          ...good,
          Cookie: `uiprocs_token_${board.port}=${'0'.repeat(64)}`,
          'X-Uiprocs-Token': '0'.repeat(64),
        }),
      ],
      ['wrong header token', board.http('POST', '/api/down', { ...good, 'X-Uiprocs-Token': 'f'.repeat(64) })],
    ];
    for (const [what, reply] of refused) {
      const r = await reply;
      expect([401, 403], what).toContain(r.status);
      expect(JSON.parse(r.body).ok, what).toBe(false);
      expect(r.headers['access-control-allow-origin'], what).toBeUndefined();
      expect(r.headers['set-cookie'], what).toBeUndefined();
    }
    for (const path of ['/api/services/web/stop', '/api/down', '/api/up', '/api/services/web/restart']) {
      const r = await board.http('GET', path);
      expect([404, 405], path).toContain(r.status);
    }
    const rows = await psRows(p);
    expect(rows.find((r) => r.name === 'web')!.pid).toBe(pid);
    expect(isGone(pid)).toBe(false);
    expect(await answers(web)).toBe(true);
    // The same request with everything right does stop it: the refusals were the rules, not a broken route.
    expect((await board.http('POST', '/api/services/web/stop', good)).status).toBe(200);
    expect(isGone(pid)).toBe(true);
  });

  it('loopback is no trust: no request without the token is answered, none hands the token out', async () => {
    const { p } = await twoServices();
    const board = await startBoard(p);
    for (const path of [
      '/',
      '/index.html',
      '/app.js',
      '/app.css',
      '/api/services',
      '/api/project',
      '/api/plan',
      '/api/events',
      '/api/session',
      '/api/logs/web',
      '/api/logs/all',
    ]) {
      const r = await board.anon('GET', path);
      expect(r.status, path).toBe(401);
      expect(r.headers['set-cookie'], path).toBeUndefined();
      expect(r.body, path).not.toContain(board.token);
      expect(r.body, path).not.toContain('"status"');
    }
    // The token is in the state dir, readable by its owner only.
    const file = join(p.dir, '.uiprocs', 'dashboard.token');
    expect(readFileSync(file, 'utf8').trim()).toBe(board.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The owner's page gets it back to echo in its POSTs.
    expect(await board.json<{ token: string }>('/api/session')).toEqual({ token: board.token });
  });

  // Needs root to make the user (CI runs as root); elsewhere it says it skipped.
  it.skipIf(otherUser() === undefined)(
    'a second unix user on the same machine reaches nothing: every route refused, no PID changes',
    async () => {
      const other = otherUser()!;
      const { p, web, api } = await twoServices();
      const board = await startBoard(p);
      const before = (await psRows(p)).map((r) => r.pid);
      // What that user can do: curl every route, with the cookie name guessed, and try the token file.
      const script = `
      const http = require('node:http');
      const fs = require('node:fs');
      const port = ${board.port};
      const ask = (method, path, headers = {}) => new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method, path, headers: { Host: '127.0.0.1:' + port, ...headers }, agent: false }, (res) => {
          let body = ''; res.setEncoding('utf8'); res.on('data', (c) => { body += c; });
          res.on('end', () => resolve({ path, method, status: res.statusCode, cookie: res.headers['set-cookie'] ?? null, body: body.slice(0, 300) }));
        });
        req.on('error', (e) => resolve({ path, method, status: 0, error: e.code }));
        req.end();
      });
      (async () => {
        const out = [];
        for (const path of ['/', '/app.js', '/api/services', '/api/project', '/api/plan', '/api/session', '/api/events', '/api/logs/web', '/api/logs/all'])
          out.push(await ask('GET', path));
        for (const path of ['/api/services/web/stop', '/api/services/api/restart', '/api/down', '/api/up'])
          out.push(await ask('POST', path, { 'Content-Length': '0', Origin: 'http://127.0.0.1:' + port, 'X-Uiprocs-Token': 'x'.repeat(64), Cookie: 'uiprocs_token_' + port + '=' + 'x'.repeat(64) }));
        let file;
        try { file = fs.readFileSync(${JSON.stringify(join(p.dir, '.uiprocs', 'dashboard.token'))}, 'utf8'); } catch (e) { file = e.code; }
        console.log(JSON.stringify({ out, file }));
      })();
    `;
      const ran = await runAsOther(other, process.execPath, ['-e', script], { cwd: '/tmp' });
      expect(ran.code, ran.stderr).toBe(0);
      const seen = JSON.parse(ran.stdout) as {
        out: Array<{ path: string; method: string; status: number; cookie: unknown; body: string }>;
        file: string;
      };
      expect(seen.out).toHaveLength(13);
      for (const r of seen.out) {
        expect([401, 403], `${r.method} ${r.path}: ${r.body}`).toContain(r.status);
        expect(r.cookie, r.path).toBeNull();
        expect(r.body, r.path).not.toContain(board.token);
      }
      expect(seen.file).toBe('EACCES');
      const after = await psRows(p);
      expect(after.map((r) => r.pid)).toEqual(before);
      expect(after.map((r) => r.status)).toEqual(['running', 'running']);
      expect(await answers(web)).toBe(true);
      expect(await answers(api)).toBe(true);
    },
  );

  it('shows no environment value anywhere', async () => {
    const { p } = await twoServices();
    const board = await startBoard(p);
    const events = await openEvents(board);
    try {
      await events.next('plan', () => true);
      await events.next('services', () => true);
      for (const path of [
        '/api/project',
        '/api/services',
        '/api/plan',
        '/api/logs/web',
        '/api/logs/all',
        '/',
      ]) {
        const r = await board.http('GET', path);
        expect(r.status, path).toBe(200);
        expect(r.body, path).not.toContain('hunter2');
      }
      expect(JSON.stringify(events.seen)).not.toContain('hunter2');
    } finally {
      events.close();
    }
  });

  it('a --host other than the loopback default needs the token on every request, and prints it', async () => {
    const { p } = await twoServices();
    const board = await startBoard(p, ['--host', '127.0.0.2'], '127.0.0.2');
    expect(board.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.2:${board.port}/\\?token=[0-9a-f]{64}$`));
    for (const path of ['/', '/api/services', '/api/project', '/api/plan', '/api/events', '/api/logs/web']) {
      const r = await board.anon('GET', path);
      expect(r.status, path).toBe(401);
      expect(r.body).not.toContain('"status"');
    }
    const wrong = await board.anon('GET', `/?token=${'0'.repeat(64)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    // With the cookie (which GET /?token= set in startBoard) it answers.
    const rows = await board.json<StatusRow[]>('/api/services');
    expect(rows.map((r) => r.status)).toEqual(['running', 'running']);
  });

  it('Ctrl-C ends the dashboard; the services keep running with the same PIDs', async () => {
    const { p } = await twoServices();
    const board = await startBoard(p);
    const events = await openEvents(board);
    await events.next('services', () => true);
    const before = (await psRows(p)).map((r) => r.pid);
    const exited = new Promise<number | null>((resolve) => board.child.once('exit', (code) => resolve(code)));
    board.child.kill('SIGINT');
    expect(await exited).toBe(0);
    events.close();
    const after = await psRows(p);
    expect(after.map((r) => r.pid)).toEqual(before);
    expect(after.map((r) => r.status)).toEqual(['running', 'running']);
  });

  it('--open without an opener on PATH still serves; the page is gzipped when asked', async () => {
    const { p } = await twoServices();
    const port = await freePort();
    const child = p.start(['dashboard', '--port', String(port), '--open'], { PATH: '/nonexistent' });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const token = await waitFor(
      () => new RegExp(`dashboard: http://127\\.0\\.0\\.1:${port}/\\?token=(\\w+)`).exec(out)?.[1],
      {
        timeout: 10_000,
        what: 'its URL',
      },
    );
    const page = await rawHttp('127.0.0.1', port, 'GET', `/?token=${token}`, {
      Host: `localhost:${port}`,
      'Accept-Encoding': 'gzip',
    });
    expect(page.status).toBe(200);
    expect(page.headers['content-encoding']).toBe('gzip');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect(child.exitCode).toBeNull();
  });

  it('bad flags exit 2 with a clear message', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  web: { command: [node, ${serve}], port: auto }\n`);
    const port = await p.run(['dashboard', '--port', 'eighty']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port eighty: expected a port number');
    const host = await p.run(['dashboard', '--host', 'evil.example']);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('--host evil.example: expected an IP address');
    const value = await p.run(['dashboard', '--port']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain("option '-p, --port <port>' needs a value");
  });
});

describe('uiprocs dashboard and ps with a broken manifest (the records still speak)', () => {
  it('a running supervisor is shown and still keeps its services alive; a completed task is completed', async () => {
    const p = track(e2eProject());
    const web = await freePort();
    const valid =
      `services:\n` +
      `  setup: { command: 'echo prepared' }\n` +
      `  web:\n    command: [node, ${serve}, '${web}', 127.0.0.1]\n    port: ${web}\n    restart: always\n` +
      `    depends_on: { setup: { condition: completed } }\n`;
    p.write(valid);
    await p.ok(['up']);
    const sup = await liveSupervisor(p);
    // Broken by an edit: a memory limit without a unit.
    p.write(`${valid}    limits: { memory: 512 }\n`);

    const ps = await p.run(['ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toContain(`supervisor: pid ${sup}`);
    expect(ps.stdout).toContain('keeping web alive');
    expect(ps.stdout).not.toContain('nothing to keep alive');
    const rows = await psRows(p);
    expect(rowOf(rows, 'setup')).toMatchObject({ status: 'completed', task: true, exit_code: 0 });
    expect(rowOf(rows, 'web')).toMatchObject({ status: 'running', supervised: true });

    const board = await startBoard(p);
    const project = await board.anon('GET', '/api/project', {
      Cookie: `uiprocs_token_${board.port}=${board.token}`,
    });
    expect(project.status, project.body).toBe(200);
    expect(JSON.parse(project.body).supervisor?.pid).toBe(sup);
    const shown = await board.json<StatusRow[]>('/api/services');
    expect(rowOf(shown, 'setup')?.status).toBe('completed');
    const plan = await board.json<{ ok: boolean; errors: Array<{ message: string }> }>('/api/plan');
    expect(plan.ok).toBe(false);
    expect(plan.errors.map((e) => e.message).join('\n')).toContain('memory must be at least 1MB');
  });

  it('`dashboard --port N` on a port another process holds names that process', async () => {
    const p = track(e2eProject());
    const web = await freePort();
    p.write(`services:\n  web: { command: [node, ${serve}, '${web}', 127.0.0.1], port: ${web} }\n`);
    await p.ok(['up']);
    const pid = p.record('web')!.pid;
    const taken = await p.run(['dashboard', '--port', String(web)]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`port ${web} is held by pid ${pid} (`);
    expect(taken.stderr).not.toMatch(/\n\s+at /);
  });
});
