/**
 * A service's ready probe as one attempt an engine can run: a shell script or an argv
 * that exits 0 when the service is ready. systemd loops it in ExecStartPost (so After=
 * waits for readiness, as uiprocs' `condition: ready` does); compose runs it as the
 * healthcheck.
 *
 * uiprocs probes from inside Node; engines have only programs, so: http uses curl, or
 * wget when curl is missing (a 2xx/3xx answer passes, as in uiprocs); tcp uses bash's
 * /dev/tcp; a command probe is itself. All of them address 127.0.0.1 (uiprocs also tries
 * ::1). `log` and `alive` have no program equivalent: no probe.
 *
 * `port: auto` leaves AUTO_PORT_TOKEN in the text; each format renders it its own way.
 */
import type { HealthCheck, ReadyCheck, ServiceSpec } from '../core/model.js';
import { AUTO_PORT_TOKEN } from '../core/model.js';
import { shWord } from './common.js';

export type ProbeAttempt = { kind: 'shell'; script: string } | { kind: 'argv'; argv: string[] };

/** Seconds one attempt may take before it counts as a failure. */
export const ATTEMPT_TIMEOUT_S = 5;

function portText(port: number | 'auto' | null): string | null {
  return port === null ? null : port === 'auto' ? AUTO_PORT_TOKEN : String(port);
}

export function probeAttempt(s: ServiceSpec): ProbeAttempt | null {
  return checkAttempt(s.ready.check, s.port, ATTEMPT_TIMEOUT_S);
}

/**
 * A service's `healthcheck` as one attempt (http's curl/wget bounded by the check's own
 * timeout, in whole seconds); null without one.
 */
export function healthAttempt(s: ServiceSpec): ProbeAttempt | null {
  if (s.health === undefined) return null;
  return checkAttempt(s.health.check, s.port, Math.max(1, Math.ceil(s.health.timeout / 1000)));
}

function checkAttempt(
  c: ReadyCheck | HealthCheck,
  servicePort: number | 'auto' | null,
  timeoutS: number,
): ProbeAttempt | null {
  const s = { port: servicePort };
  switch (c.kind) {
    case 'tcp': {
      const port = c.port === undefined ? portText(s.port) : String(c.port);
      if (port === null) return null;
      return { kind: 'shell', script: `bash -c ${shWord(`: </dev/tcp/127.0.0.1/${port}`)} 2>/dev/null` };
    }
    case 'http': {
      let url = c.target;
      if (!/^https?:\/\//.test(url)) {
        const port = portText(s.port);
        if (port === null) return null;
        url = `http://127.0.0.1:${port}${url.startsWith('/') ? '' : '/'}${url}`;
      }
      const u = shWord(url);
      const t = timeoutS;
      return {
        kind: 'shell',
        script: `curl -fsS -o /dev/null --max-time ${t} ${u} || wget -q -O /dev/null -T ${t} ${u}`,
      };
    }
    case 'command':
      return typeof c.command === 'string'
        ? { kind: 'shell', script: c.command }
        : { kind: 'argv', argv: [...c.command] };
    case 'log':
    case 'alive':
      return null;
  }
}

/** The attempt as shell text (an argv is quoted word by word). */
export function attemptScript(a: ProbeAttempt): string {
  return a.kind === 'shell' ? a.script : a.argv.map(shWord).join(' ');
}
