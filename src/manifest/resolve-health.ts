/**
 * `healthcheck:` of a service, resolved (resolve.ts calls it for each service). Problems are
 * reported through the resolver, located in the manifest.
 */
import type { HealthCheck, HealthSpec } from '../core/model.js';
import { DEFAULTS } from './defaults.js';
import { HEALTH_PROBE_KINDS, type Path, type RawHealthcheck, showPath } from './types.js';
import { parseDuration } from './units.js';
import type { ValueProblem } from './value-rules.js';

/** What a probe's resolution needs from the resolver: its reporting and interpolation. */
export interface ProbeResolver {
  report(path: Path, problem: ValueProblem): void;
  httpTarget(
    raw: string,
    at: Path,
    name: string,
    port: number | 'auto' | null,
    str: (v: string, at: Path) => string,
  ): string;
  command(raw: string | string[], at: Path, str: (v: string, at: Path) => string): string | string[];
}

/**
 * `healthcheck:` merged like `ready` (a probe set by the service replaces the defaults'
 * probe; interval, timeout, retries and start_period key by key, the service winning),
 * except that `healthcheck: false` or `disable: true` (the service's, or the defaults'
 * when the service says nothing) means none at all.
 */
export function resolveHealth(
  r: ProbeResolver,
  port: number | 'auto' | null,
  fromDefaults: RawHealthcheck | false | undefined,
  own: RawHealthcheck | false | undefined,
  name: string,
  str: (v: string, at: Path) => string,
): HealthSpec | undefined {
  if (own === false || own?.disable === true) return undefined;
  const d = fromDefaults === false || fromDefaults?.disable === true ? undefined : fromDefaults;
  if (own === undefined && d === undefined) return undefined;
  const kinds = (h: RawHealthcheck | undefined) => HEALTH_PROBE_KINDS.filter((k) => h?.[k] !== undefined);
  for (const [block, at] of [
    [own, ['services', name, 'healthcheck']],
    [d, ['defaults', 'healthcheck']],
  ] as const) {
    const k = kinds(block);
    if (k.length > 1)
      r.report([...at, k[1]!], {
        message: `is given besides ${showPath([...at, k[0]!])}; give only one probe`,
        hint: `one of: ${HEALTH_PROBE_KINDS.join(', ')}`,
      });
  }
  const [probe, at]: [RawHealthcheck | undefined, Path] =
    kinds(own).length > 0 ? [own, ['services', name, 'healthcheck']] : [d, ['defaults', 'healthcheck']];
  let check: HealthCheck | undefined;
  if (probe?.tcp !== undefined) {
    if (probe.tcp === true && port === null)
      r.report([...at, 'tcp'], {
        message: `needs a port, but services.${name} has none`,
        hint: 'set "port:", or give the port to probe: "tcp: 8080"',
      });
    check = probe.tcp === true ? { kind: 'tcp' } : { kind: 'tcp', port: probe.tcp };
  } else if (probe?.http !== undefined)
    check = { kind: 'http', target: r.httpTarget(probe.http, [...at, 'http'], name, port, str) };
  else if (probe?.command !== undefined)
    check = { kind: 'command', command: r.command(probe.command, [...at, 'command'], str) };
  if (check === undefined) {
    const where: Path = own !== undefined ? ['services', name, 'healthcheck'] : ['defaults', 'healthcheck'];
    r.report(where, {
      message: 'has no probe: give one of http, tcp or command',
      hint: 'e.g. "healthcheck: { http: /health }"; "healthcheck: false" turns one from defaults off',
    });
    return undefined;
  }
  const pick = <K extends 'interval' | 'timeout' | 'start_period'>(k: K, fallback: number): number => {
    const v = own?.[k] ?? d?.[k];
    return v === undefined ? fallback : (parseDuration(v) ?? fallback);
  };
  return {
    check,
    interval: pick('interval', DEFAULTS.healthInterval),
    timeout: pick('timeout', DEFAULTS.healthTimeout),
    retries: own?.retries ?? d?.retries ?? DEFAULTS.healthRetries,
    startPeriod: pick('start_period', DEFAULTS.healthStartPeriod),
  };
}
