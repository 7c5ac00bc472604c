/**
 * The HTTP edge every dashboard shares (one project's, `dashboard --all`): the security
 * headers and JSON answers, and a gated server: each request passes security.ts's judge
 * before the caller's handler sees it, the connection limits of limits.ts hold, and a bug in
 * a handler is a 500 said on `say`, never its stack to the client.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { fail, ok, type Result } from '../core/model.js';
import { connectionCap, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './limits.js';
import { type Gate, hostHeaderOf, judge, makeGate, type Verdict } from './security.js';
import type { StaticFile } from './static-files.js';

export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

export function sendJson(
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

/** A request no route takes: its status and error, and `Allow` for a wrong method. */
export function sendNoRoute(
  res: ServerResponse,
  no: { status: number; error: string; allow?: string },
): void {
  sendJson(res, no.status, { ok: false, error: no.error }, no.allow ? { Allow: no.allow } : {});
}

/** A file of the page; `cookie`: the Set-Cookie value, when the request brought the token in its URL. */
export function sendFile(res: ServerResponse, file: StaticFile, cookie: string | undefined): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': file.type,
    'Content-Length': file.body.length,
    Vary: 'Accept-Encoding',
    ...(file.gzip ? { 'Content-Encoding': 'gzip' } : {}),
    ...(cookie !== undefined ? { 'Set-Cookie': cookie } : {}),
  });
  res.end(res.req?.method === 'HEAD' ? undefined : file.body);
}

/** Every address of this machine, for the Host check of a wildcard bind (0.0.0.0, ::). */
function ownNames(bind: string): string[] {
  if (bind !== '0.0.0.0' && bind !== '::') return [];
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  return [...addresses, hostname()];
}

/** A request that passed the gate: `url` is its path and query; `setCookie` as the verdict says. */
export type GatedHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  passed: { url: string; setCookie: boolean; cookie: string },
) => Promise<void>;

export interface GatedServer {
  port: number;
  /** `http://host:port/`. */
  base: string;
  close(): Promise<void>;
}

export async function listenGated(opts: {
  host: string;
  port: number;
  token: string;
  say: (line: string) => void;
  handle: GatedHandler;
  /** Also ended on close (the event hubs). */
  onClose?: () => void;
}): Promise<Result<GatedServer>> {
  const { host, token } = opts;
  let gate: Gate = makeGate(host, opts.port, token);
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const verdict: Verdict = judge({ method, url, headers: req.headers }, gate);
    // A refused connection is closed after its answer: it holds no slot (limits.ts).
    if (!verdict.ok) {
      sendJson(res, verdict.status, { ok: false, error: verdict.error }, { Connection: 'close' });
      return;
    }
    opts
      .handle(req, res, { url, setCookie: verdict.setCookie, cookie: gate.cookie })
      .catch((error: unknown) => {
        opts.say(`dashboard: ${method} ${url} failed (a bug): ${(error as Error)?.stack ?? String(error)}`);
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
  return ok({
    port,
    base: `http://${hostHeaderOf(host, port)}/`,
    close: () =>
      new Promise<void>((resolve) => {
        opts.onClose?.();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
