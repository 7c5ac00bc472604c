/**
 * One health-check attempt against a running service, with a short account of what it
 * saw — the words a restart cause is made of: `GET /health → 500`, `port 8080 refused`,
 * `curl -f … exited 1`. It reuses the ready probe's attempts (checks.ts), each
 * bounded by the timeout it is given.
 *
 * Unlike the ready wait, a tcp health check really connects (every interval, not every
 * 15 ms): the socket table says a port listens, but a server whose accept loop hangs
 * still listens.
 */

import type { ProbeOutcome } from '../core/health.js';
import { AUTO_PORT_TOKEN, type HealthCheck } from '../core/model.js';
import { commandAttempt, httpAttempt, httpUrls, tcpAttempt } from './checks.js';

export interface HealthProbeInput {
  check: HealthCheck;
  /** The port the running process was given (a `port: auto` one resolved), or null. */
  port: number | null;
  cwd: string;
  env: Record<string, string | undefined>;
}

export async function healthAttempt(input: HealthProbeInput, timeoutMs: number): Promise<ProbeOutcome> {
  const { check, port } = input;
  switch (check.kind) {
    case 'http': {
      const target = withPort(check.target, port);
      const urls = httpUrls(target, port);
      if (urls === undefined) return { ok: false, detail: `GET ${target}: no port to ask` };
      const a = await httpAttempt(urls, timeoutMs);
      if (a.ok) return { ok: true };
      // `GET http://127.0.0.1:8080/health → 500` → `GET /health → 500`: the target as written.
      let detail = a.detail;
      for (const url of urls) detail = detail.split(`GET ${url}`).join(`GET ${target}`);
      return { ok: false, detail };
    }
    case 'tcp': {
      const p = check.port ?? port;
      if (p === null) return { ok: false, detail: 'no port to connect to' };
      const a = await tcpAttempt(p, timeoutMs);
      if (a.ok) return { ok: true };
      switch (a.failure.kind) {
        case 'refused':
          return { ok: false, detail: `port ${p} refused` };
        case 'timeout':
          return { ok: false, detail: `port ${p} did not answer within ${timeoutMs} ms` };
        default:
          return { ok: false, detail: `port ${p}: ${a.detail.replace(/^\S+ /, '')}` };
      }
    }
    case 'command': {
      const a = await commandAttempt(check.command, input.cwd, input.env, timeoutMs);
      // `\`cmd\` exited 1` → `cmd exited 1`
      return a.ok ? { ok: true } : { ok: false, detail: a.detail.replace(/^`(.*)`/s, '$1') };
    }
  }
}

function withPort(target: string, port: number | null): string {
  return port === null ? target : target.split(AUTO_PORT_TOKEN).join(String(port));
}
