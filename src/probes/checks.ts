import { builtin } from '../core/builtin.js';

// http, https and child_process are loaded by the probes that use them: most services are
// probed over plain TCP, and the CLI pays for what it runs (https alone costs ~10 ms).

/**
 * Why an attempt failed, as a value: the readiness wait, the health checks and `ps` decide
 * on the kind, never on the wording of `detail`.
 */
export type ProbeFailure =
  /** Nothing accepts on the port (ECONNREFUSED, EADDRNOTAVAIL). */
  | { kind: 'refused' }
  /** No answer within the attempt's timeout. */
  | { kind: 'timeout' }
  /** The server answered, with a status that does not pass (not 2xx/3xx). */
  | { kind: 'status'; status: number }
  /** The probe command ended without passing. */
  | { kind: 'exit'; code: number | null; signal: string | null }
  /** Another socket or spawn error (its code or message). */
  | { kind: 'error'; code: string }
  /** A readiness condition not met yet: not listening, no matching log line, not alive long enough. */
  | { kind: 'not-yet' };

/** One probe attempt's outcome; `detail` says what was seen, for messages. */
export type Attempt = { ok: true; detail: string } | { ok: false; failure: ProbeFailure; detail: string };

const refusedCodes = new Set(['ECONNREFUSED', 'EADDRNOTAVAIL']);

/** A socket error's failure: refused, or an error by its code. */
function socketFailure(error: NodeJS.ErrnoException): ProbeFailure {
  const code = error.code ?? error.message;
  return refusedCodes.has(code) ? { kind: 'refused' } : { kind: 'error', code };
}

/** Loopback addresses to try: servers bind 127.0.0.1, or `localhost` which Node ≥17 may resolve to ::1 only. */
export const LOOPBACKS = ['127.0.0.1', '::1'] as const;

/** Connects to the port on IPv4 loopback, then IPv6 loopback. */
export async function tcpAttempt(port: number, timeoutMs: number): Promise<Attempt> {
  let last: Attempt | undefined;
  const { connect } = builtin('node:net');
  for (const host of LOOPBACKS) {
    last = await connectOnce(connect, host, port, timeoutMs);
    if (last.ok) return last;
  }
  return last!;
}

function connectOnce(
  connect: typeof import('node:net').connect,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (attempt: Attempt) => {
      socket.destroy();
      resolve(attempt);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ ok: false, failure: { kind: 'timeout' }, detail: `connect to ${host}:${port} timed out` }),
    );
    socket.once('connect', () => done({ ok: true, detail: `connected to ${host}:${port}` }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({
        ok: false,
        failure: socketFailure(error),
        detail: `${host}:${port} ${error.code ?? error.message}`,
      }),
    );
  });
}

/** The URLs to GET for a target: a path on the service's port (v4 then v6 loopback), or a full URL as is. */
export function httpUrls(target: string, port: number | null): string[] | undefined {
  if (/^https?:\/\//.test(target)) return [target];
  if (port === null) return undefined;
  const path = target.startsWith('/') ? target : `/${target}`;
  return [`http://127.0.0.1:${port}${path}`, `http://[::1]:${port}${path}`];
}

/** GETs each URL until one answers 2xx/3xx (redirects are not followed: answering is enough). */
export async function httpAttempt(urls: string[], timeoutMs: number): Promise<Attempt> {
  let last: Attempt | undefined;
  for (const url of urls) {
    last = await getOnce(url, timeoutMs);
    if (last.ok) return last;
    // A server that answered (even 503) or hung is the right one; only a refused
    // connection means "maybe it listens on the other loopback".
    if (last.failure.kind !== 'refused') break;
  }
  return last ?? { ok: false, failure: { kind: 'error', code: 'no URL' }, detail: 'no URL to GET' };
}

async function getOnce(url: string, timeoutMs: number): Promise<Attempt> {
  const { request: send } = url.startsWith('https:') ? builtin('node:https') : builtin('node:http');
  return new Promise((resolve) => {
    const req = send(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      req.destroy();
      const detail = `GET ${url} → ${status}`;
      resolve(
        status >= 200 && status < 400
          ? { ok: true, detail }
          : { ok: false, failure: { kind: 'status', status }, detail },
      );
    });
    req.once('timeout', () => {
      req.destroy();
      resolve({
        ok: false,
        failure: { kind: 'timeout' },
        detail: `GET ${url} timed out after ${timeoutMs} ms`,
      });
    });
    req.once('error', (error: NodeJS.ErrnoException) =>
      resolve({
        ok: false,
        failure: socketFailure(error),
        detail: `GET ${url}: ${error.code ?? error.message}`,
      }),
    );
    req.end();
  });
}

/**
 * Runs the probe command in the service's cwd and env; exit 0 passes. It runs in its own
 * process group so a timeout kills the whole probe, not just its shell.
 */
export async function commandAttempt(
  command: string | string[],
  cwd: string,
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<Attempt> {
  const { spawn } = builtin('node:child_process');
  const [file, args] = Array.isArray(command)
    ? [command[0] ?? 'false', command.slice(1)]
    : ['/bin/sh', ['-c', command]];
  const shown = Array.isArray(command) ? command.join(' ') : command;
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd, env, stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      resolve({
        ok: false,
        failure: { kind: 'timeout' },
        detail: `\`${shown}\` timed out after ${timeoutMs} ms`,
      });
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({
        ok: false,
        failure: { kind: 'error', code: error.message },
        detail: `\`${shown}\`: ${error.message}`,
      });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const detail = `\`${shown}\` exited ${signal ?? code}`;
      resolve(
        code === 0 ? { ok: true, detail } : { ok: false, failure: { kind: 'exit', code, signal }, detail },
      );
    });
  });
}
