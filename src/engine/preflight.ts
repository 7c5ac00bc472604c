/**
 * Preconditions of a converge's starts, checked for every service the plan will start
 * before anything is stopped or spawned: each log must be writable, the working directory
 * and executable must exist, and no foreign process may hold a fixed port. One bad service
 * then fails the whole `up` with nothing changed, instead of half the project starting
 * around it (and the user fixing one problem per run).
 *
 * The start effects check the same things again at their own start: between this pass and
 * the spawn, another process may still take a port.
 */
import { type Desired, fail, ok, type Result, type ServiceSpec } from '../core/model.js';
import type { Plan } from '../core/plan.js';
import { ensureLogWritable } from '../logs/rotate.js';
import { prepareCommand } from '../runtime/command-line.js';
import { listeningAmong, type System } from '../runtime/system.js';
import { describeHolders } from './port-holders.js';

export function checkStarts(
  desired: Desired,
  plan: Plan,
  system: System,
  projectId: string,
  baseEnv: Record<string, string | undefined> = {},
): Result<void> {
  const problems: string[] = [];
  const starting = plan.actions
    .filter((action) => action.kind === 'start' || action.kind === 'recreate')
    .flatMap((action) => desired.services[action.service] ?? []);
  // One read of the socket table answers for every port at once; only a port someone
  // listens on is worth the search for its owners. undefined: no table, search them all.
  const open = listeningAmong(
    system,
    starting.flatMap((spec) => (typeof spec.port === 'number' ? [spec.port] : [])),
  );
  for (const spec of starting) {
    const writable = ensureLogWritable(spec.log);
    if (!writable.ok)
      problems.push(`${spec.name}: ${'message' in writable.error ? writable.error.message : ''}`);
    const runnable = checkRunnable(spec, baseEnv);
    if (runnable !== undefined) problems.push(`${spec.name}: ${runnable}`);
    if (typeof spec.port !== 'number') continue;
    if (open !== undefined && !open.has(spec.port)) continue;
    // Our own processes (the one a recreate replaces, leftovers of a killed up) are stopped
    // by the plan before the start; only a process without this project's tag is foreign.
    const foreign = system
      .portOwners(spec.port)
      .filter((o) => system.environ(o.pid)?.UIPROCS_PROJECT !== projectId);
    if (foreign.length > 0)
      problems.push(`${spec.name}: ${describeHolders(spec.port, foreign, system, baseEnv)}`);
  }
  if (problems.length === 0) return ok(undefined);
  return fail({
    reason: 'service-failed',
    message:
      problems.length === 1
        ? `${problems[0]}; nothing was started`
        : `nothing was started:\n${problems.map((p) => `  ${p}`).join('\n')}`,
  });
}

/**
 * A missing working directory or executable (of the command or of a `ready.command`
 * probe), found before anything starts; the spawn looks again. Only for a service that
 * depends on nothing: a dependency may be what creates its folder or program (a build in
 * watch mode), so a dependent is checked at its own start, as before.
 */
function checkRunnable(spec: ServiceSpec, baseEnv: Record<string, string | undefined>): string | undefined {
  if (Object.keys(spec.dependsOn).length > 0) return undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...baseEnv, ...spec.env }))
    if (value !== undefined) env[key] = value;
  // `port: auto` is chosen at the start; any number stands in for it in this look.
  const port = spec.port === null ? null : spec.port === 'auto' ? 0 : spec.port;
  const why = (command: string | string[]): string | undefined => {
    const prepared = prepareCommand(command, port, spec.cwd, env);
    if (prepared.ok) return undefined;
    return 'message' in prepared.error ? prepared.error.message : prepared.error.reason;
  };
  const own = why(spec.command);
  if (own !== undefined) return own;
  // A probe program that is not there would fail every attempt until the ready timeout.
  const probe = spec.ready.check;
  const probeWhy = probe.kind === 'command' ? why(probe.command) : undefined;
  return probeWhy === undefined ? undefined : `ready.command: ${probeWhy}`;
}
