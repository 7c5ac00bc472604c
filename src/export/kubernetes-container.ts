/**
 * A container's fields as the kubelet reads them (`export kubernetes`): probes against the
 * pod's own address, resource quantities, whole seconds, and manifest text escaped so that
 * Kubernetes' own `$(VAR)` expansion leaves it as written. Pure.
 */
import type { IProbe } from 'kubernetes-models/v1';
import type { HealthCheck, Limits, ReadyCheck } from '../core/model.js';
import { AUTO_PORT_TOKEN } from '../core/model.js';

/** The container port of a `port: auto` service: one fixed choice, since every pod has its own address. */
export const AUTO_CONTAINER_PORT = 8000;

export type Handler = Pick<IProbe, 'httpGet' | 'tcpSocket' | 'exec'>;

/** A ready or health check as the kubelet runs it, against the pod's own address; null: none. */
export function probeHandler(check: ReadyCheck | HealthCheck, port: number | null): Handler | null {
  switch (check.kind) {
    case 'tcp': {
      const p = check.port ?? port;
      return p === null ? null : { tcpSocket: { port: p } };
    }
    case 'http': {
      const target = check.target.split(AUTO_PORT_TOKEN).join(String(port));
      if (!/^https?:\/\//.test(target)) {
        if (port === null) return null;
        return { httpGet: { path: target.startsWith('/') ? target : `/${target}`, port } };
      }
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return null;
      }
      const https = url.protocol === 'https:';
      const loopback = /^(127(\.\d+){3}|localhost|\[::1\])$/i.test(url.hostname);
      return {
        httpGet: {
          ...(loopback ? {} : { host: url.hostname }),
          path: `${url.pathname}${url.search}`,
          port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
          ...(https ? { scheme: 'HTTPS' } : {}),
        },
      };
    }
    case 'command': {
      const argv = typeof check.command === 'string' ? ['/bin/sh', '-c', check.command] : check.command;
      return { exec: { command: argv.map((w) => kubeText(w, port)) } };
    }
    default:
      return null;
  }
}

/** memory and cpu as Kubernetes quantities; the others are said not to map. */
export function resourceLimits(l: Limits | undefined, notes: string[]): Record<string, string> | null {
  if (l === undefined) return null;
  const out: Record<string, string> = {};
  if (l.memory !== undefined) out.memory = memoryQuantity(l.memory);
  if (l.cpu !== undefined) out.cpu = cpuQuantity(l.cpu);
  if (l.processes !== undefined)
    notes.push(
      `limits.processes ${l.processes} cannot map: Kubernetes limits pids per node, not per container.`,
    );
  if (l.openFiles !== undefined)
    notes.push(`limits.open_files ${l.openFiles} cannot map: Kubernetes has no per-container RLIMIT_NOFILE.`);
  return Object.keys(out).length === 0 ? null : out;
}

/** Bytes in the largest binary unit that divides them exactly (`512Mi`), else bytes. Never rounded. */
export function memoryQuantity(bytes: number): string {
  for (const [unit, size] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/** Cores as a quantity: whole cores bare (`2`), else millicores (`1500m`; 0.01 → `10m`). */
export function cpuQuantity(cores: number): string {
  if (Number.isInteger(cores)) return String(cores);
  return `${Math.max(1, Math.round(cores * 1000))}m`;
}

/** Whole seconds, rounded up, at least 1: the kubelet's probe and grace units. */
export function wholeSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * A manifest string as Kubernetes must be given it so the process sees it unchanged: the
 * auto port as the fixed port, and each `$` that starts `$$` or `$(` doubled (Kubernetes
 * reads `$$` as `$` and `$(VAR)` as a variable; any other `$` is kept as is).
 */
export function kubeText(v: string, port: number | null): string {
  return v
    .split(AUTO_PORT_TOKEN)
    .join(String(port ?? AUTO_CONTAINER_PORT))
    .replace(/\$(?=[$(])/g, '$$$$');
}
