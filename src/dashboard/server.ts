/**
 * The dashboard's HTTP server (node:http, no framework: six routes and a static folder),
 * after tilt's HUD server: the page, a small JSON API, and server-sent events.
 *
 * `startDashboard` is a function, not a command, so the same server can run in the
 * foreground (`uiprocs dashboard`) or inside another long-lived process (the supervisor).
 * Each request passes security.ts first, then routes.ts names it; handlers answer with
 * values, and the only exception caught here is a bug (500, said on `say`, never its stack
 * to the client). GET never changes anything; every change is a POST through actions.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { basename, dirname } from 'node:path';
import { fail, ok, type Result } from '../core/model.js';
import { version } from '../core/version.js';
import type { ProjectInput } from '../engine/project.js';
import { gatherPsRows } from '../engine/ps-rows.js';
import type { System } from '../runtime/system.js';
import { newToken } from '../state/dashboard-token.js';
import { runAction } from './actions.js';
import { createHub } from './events.js';
import {
  connectionCap,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_STREAMS,
  REQUEST_TIMEOUT_MS,
} from './limits.js';
import { liveRows } from './live-rows.js';
import { planView } from './plan-view.js';
import { type ProjectSource, projectSource } from './project-source.js';
import { logLines, projectInfo } from './reads.js';
import { route } from './routes.js';
import { hostHeaderOf, judge, makeGate, tokenCookie } from './security.js';
import { defaultAssetsDir, staticFiles } from './static-files.js';

export interface DashboardOptions {
  /** Where the manifest is found (as the CLI's -f, cwd and environment say). */
  input: ProjectInput;
  /** The manifest file, already found (absolute). */
  manifestPath: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0: a free port from the OS. */
  port: number;
  system: System;
  env: Record<string, string | undefined>;
  /** Lines for the operator (a bug met while serving). */
  say: (line: string) => void;
  /** Default: the package's assets/dashboard. */
  assetsDir?: string;
  /** Default 1000 (tests and the bench keep it). */
  intervalMs?: number;
  /**
   * Where rows and plan come from; default: the manifest at `manifestPath`, loaded again
   * when it changes. A supervisor serving the page can hand in its own.
   */
  source?: ProjectSource;
  /**
   * The project's session token (state/dashboard-token.ts), so the URL `up`/`ps` print and
   * the token file open this dashboard; default: a token of this run only.
   */
  token?: string;
}

export interface Dashboard {
  /** What to open: it carries `?token=`, the only way in for a browser. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

/** Every address of this machine, for the Host check of a wildcard bind (0.0.0.0, ::). */
function ownNames(bind: string): string[] {
  if (bind !== '0.0.0.0' && bind !== '::') return [];
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  return [...addresses, hostname()];
}

export async function startDashboard(opts: DashboardOptions): Promise<Result<Dashboard>> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const source = opts.source ?? projectSource(opts.input, opts.manifestPath);
  const files = staticFiles(opts.assetsDir ?? defaultAssetsDir());
  const rowsOf = async (desired: Parameters<typeof gatherPsRows>[0]) =>
    // It looks every second: the first answer does not wait for a second CPU sample.
    (await gatherPsRows(desired, [], opts.system, opts.env, { waitForCpu: false })).rows;
  const runtime = { system: opts.system, env: opts.env, cwd: opts.input.cwd };
  const hub = createHub({
    source,
    rowsOf: liveRows(opts.system, rowsOf),
    planOf: (view) => planView(view.strict, runtime),
    intervalMs: opts.intervalMs,
    say: opts.say,
  });
  let gate = makeGate(host, opts.port, token);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const verdict = judge({ method, url, headers: req.headers }, gate);
    // A refused connection is closed after its answer: it holds no slot (limits.ts).
    if (!verdict.ok)
      return sendJson(res, verdict.status, { ok: false, error: verdict.error }, { Connection: 'close' });
    const routed = route(method, url);
    if (!routed.ok)
      return sendJson(
        res,
        routed.status,
        { ok: false, error: routed.error },
        routed.allow ? { Allow: routed.allow } : {},
      );
    const r = routed.route;
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    switch (r.kind) {
      case 'page':
      case 'file': {
        const file = files(r.kind === 'page' ? 'index.html' : r.name, gzip);
        if (file === undefined)
          return sendJson(res, 404, { ok: false, error: `no such file: ${url.split('?')[0]}` });
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'Content-Type': file.type,
          'Content-Length': file.body.length,
          Vary: 'Accept-Encoding',
          ...(file.gzip ? { 'Content-Encoding': 'gzip' } : {}),
          ...(verdict.setCookie ? { 'Set-Cookie': tokenCookie(token, gate.cookie) } : {}),
        });
        res.end(method === 'HEAD' ? undefined : file.body);
        return;
      }
      case 'events':
        if (hub.clients() >= MAX_STREAMS)
          return sendJson(
            res,
            503,
            { ok: false, error: `${MAX_STREAMS} event streams are open already; close a page and retry` },
            { 'Retry-After': '5', Connection: 'close' },
          );
        hub.add(res);
        return;
      case 'session':
        // Only the owner's page gets here (it has the cookie): it echoes the token in its POSTs.
        return sendJson(res, 200, { token });
      case 'action': {
        const answer = await runAction(opts.input, r.verb, r.target === undefined ? [] : [r.target]);
        hub.poke();
        return sendJson(res, answer.status, answer.body);
      }
      default:
        break;
    }
    const view = await source.current();
    if (r.kind === 'plan') return sendJson(res, 200, await planView(view.strict, runtime));
    // A manifest that cannot be used and no records: nothing runs, which is an answer; the
    // plan shows the located errors (once: not again as an error of every read).
    if (!view.rows.ok && view.rows.error.reason === 'manifest-invalid') {
      if (r.kind === 'services') return sendJson(res, 200, []);
      if (r.kind === 'project')
        return sendJson(res, 200, {
          project: basename(dirname(source.manifestPath)),
          manifest: source.manifestPath,
          state_dir: null,
          groups: {},
          services: [],
          supervisor: null,
          version: version(),
        });
    }
    if (!view.rows.ok) {
      const { formatFailure } = await import('../ui/failure.js');
      return sendJson(res, 409, {
        ok: false,
        error: formatFailure(view.rows.error, { color: false, cwd: opts.input.cwd }).trimEnd(),
      });
    }
    const desired = view.rows.value;
    if (r.kind === 'services') return sendJson(res, 200, await rowsOf(desired));
    if (r.kind === 'project') return sendJson(res, 200, projectInfo(desired, opts.system));
    const logs = await logLines(desired, r.service, r.lines);
    return logs.ok
      ? sendJson(res, 200, logs.body)
      : sendJson(res, logs.status, { ok: false, error: logs.error });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      opts.say(
        `dashboard: ${req.method} ${req.url} failed (a bug): ${(error as Error)?.stack ?? String(error)}`,
      );
      if (!res.headersSent)
        sendJson(res, 500, { ok: false, error: 'internal error (a bug; see the dashboard output)' });
      else res.end();
    });
  });
  server.maxConnections = connectionCap();
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const listened = await new Promise<Result<number>>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'the port is in use'
          : error.code === 'EADDRNOTAVAIL'
            ? 'no such address on this machine'
            : error.code === 'EACCES'
              ? 'permission denied'
              : error.message;
      resolve(
        fail({
          reason: 'io',
          message: `dashboard: cannot listen on ${hostHeaderOf(host, opts.port)}: ${why}`,
          ...(error.code === 'EADDRINUSE' ? { busy: true as const } : {}),
        }),
      );
    });
    server.listen(opts.port, host, () => {
      const address = server.address();
      resolve(ok(typeof address === 'object' && address ? address.port : opts.port));
    });
  });
  if (!listened.ok) return listened;
  const port = listened.value;
  gate = makeGate(host, port, token, ownNames(host));
  const base = `http://${hostHeaderOf(host, port)}/`;
  return ok({
    url: `${base}?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
