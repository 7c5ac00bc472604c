/**
 * Resolved manifests built in memory, for tests of pure functions (plan, exporters) that
 * need a Desired without a file or a process: every path under one project folder.
 */
import type { Desired, ServiceSpec } from '../../src/core/model.js';

/** A service of the project in `dir` (default `/p`) with uiprocs' defaults and an alive probe. */
export function service(name: string, extra: Partial<ServiceSpec> = {}, dir = '/p'): ServiceSpec {
  return {
    name,
    command: `serve ${name}`,
    port: null,
    groups: [],
    cwd: dir,
    env: {},
    envFiles: [],
    log: { path: `${dir}/.uiprocs/logs/${name}.log`, maxSize: 10_000_000, keep: 3 },
    dependsOn: {},
    ready: { check: { kind: 'alive' }, timeout: 60_000, interval: 100 },
    stopSignal: 'SIGTERM',
    stopTimeout: 10_000,
    restart: 'no',
    maxRestarts: 5,
    disabled: false,
    ...extra,
  };
}

/** The project `project` in `dir`, its services in the order given, no groups. */
export function desiredIn(dir: string, project: string, services: ServiceSpec[]): Desired {
  return {
    project,
    projectDir: dir,
    manifestPath: `${dir}/ui-procs.yaml`,
    stateDir: `${dir}/.uiprocs`,
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    groups: {},
  };
}

/** Project `p` in `/p`. */
export const desired = (...services: ServiceSpec[]): Desired => desiredIn('/p', 'p', services);
