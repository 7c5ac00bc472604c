/**
 * Preconditions of a converge's starts, checked for every service the plan will start
 * before anything is stopped or spawned: each log must be writable, and no foreign process
 * may hold a fixed port. One bad service then fails the whole `up` with nothing changed,
 * instead of half the project starting around it (and the user fixing one problem per run).
 *
 * The start effects check the same things again at their own start: between this pass and
 * the spawn, another process may still take a port.
 */
import { type Desired, fail, ok, type Result } from '../core/model.js';
import type { Plan } from '../core/plan.js';
import { ensureLogWritable } from '../logs/rotate.js';
import { describeOwners } from '../runtime/ports.js';
import { listeningAmong, type System } from '../runtime/system.js';

export function checkStarts(desired: Desired, plan: Plan, system: System, projectId: string): Result<void> {
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
    if (typeof spec.port !== 'number') continue;
    if (open !== undefined && !open.has(spec.port)) continue;
    // Our own processes (the one a recreate replaces, leftovers of a killed up) are stopped
    // by the plan before the start; only a process without this project's tag is foreign.
    const foreign = system
      .portOwners(spec.port)
      .filter((o) => system.environ(o.pid)?.UIPROCS_PROJECT !== projectId);
    if (foreign.length > 0) problems.push(`${spec.name}: ${describeOwners(spec.port, foreign)}`);
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
