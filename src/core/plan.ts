/**
 * The heart of uiprocs: a pure function from what should run (Desired) and what runs
 * (Observed) to the actions that close the gap, each with the cause that makes it needed.
 *
 * Like compose's reconcile, it decides everything and does nothing; the executor applies
 * the actions without decisions of its own, and `formatPlan` is both the `--dry-run`
 * output and the oracle of the plan's unit tests.
 */

import { exitKnown } from './exit.js';
import { topoLevels } from './graph.js';
import { configHash, shapeChanges, shapeOf } from './hash.js';
import type { Desired, Observed, ObservedService } from './model.js';
import { isTask } from './model.js';

export type Action =
  /** Spawn a service that does not run (its stale record, if any, is replaced). */
  | { kind: 'start'; service: string; cause: string }
  /** Stop the running process, then start it again with the new config. */
  | { kind: 'recreate'; service: string; cause: string }
  /** Stop a running process and remove its record. */
  | { kind: 'stop'; service: string; cause: string }
  /** Forget a record whose process is gone or was never ours; nothing is signalled. */
  | { kind: 'remove-stale'; service: string; cause: string };

export interface PlanRequest {
  command: 'up' | 'down' | 'restart';
  /** Service names (groups already expanded); empty means every service. */
  targets: string[];
  /** up: also stop services that left the manifest. */
  removeOrphans?: boolean;
  /**
   * up: stop these services if they left the manifest, whatever `removeOrphans` says —
   * watch passes the ones removed from the manifest while it watched.
   */
  removeNames?: readonly string[];
  /** Epoch ms, for notes like `setup completed 5m ago, unchanged`; without it they say no age. */
  now?: number;
  /**
   * restart: why the running targets are recreated, instead of "restart requested" —
   * a health restart says `unhealthy: GET /health → 500 (3 in a row)`.
   */
  restartCause?: string;
}

export interface Plan {
  /**
   * Stops first (dependents before what they depend on), then starts (dependencies
   * first). The executor may run independent actions of one phase in parallel.
   */
  actions: Action[];
  /** Things worth saying that need no action (orphans left running, disabled targets). */
  notes: string[];
  /**
   * Wanted services that run unchanged: `up` still confirms they are ready (one probe when
   * they are), so an `up` interrupted while a service was starting is finished by the next.
   */
  awaitReady: string[];
}

/** Services `names` depend on, transitively, plus the names themselves. */
function withDependencies(desired: Desired, names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const visit = (name: string): void => {
    if (out.has(name) || desired.services[name] === undefined) return;
    out.add(name);
    for (const dep of Object.keys(desired.services[name]!.dependsOn)) visit(dep);
  };
  for (const name of names) visit(name);
  return out;
}

/** Services that depend on `names`, transitively, plus the names themselves. */
function withDependents(desired: Desired, names: Iterable<string>): Set<string> {
  const out = new Set<string>(names);
  let grew = true;
  while (grew) {
    grew = false;
    for (const spec of Object.values(desired.services)) {
      if (out.has(spec.name)) continue;
      if (Object.keys(spec.dependsOn).some((dep) => out.has(dep))) {
        out.add(spec.name);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * Dependency order of the desired services (manifest order within a level); services
 * outside the manifest (orphans) come last, as nothing in the manifest depends on them.
 */
function dependencyOrder(desired: Desired, extra: string[]): string[] {
  const names = Object.keys(desired.services);
  const sorted = topoLevels(names, (n) => Object.keys(desired.services[n]?.dependsOn ?? {}));
  // The manifest's rules reject cycles before a plan is made; manifest order is a safe fallback.
  const order = 'levels' in sorted ? sorted.levels.flat() : names;
  return [...order, ...extra.filter((n) => !order.includes(n)).sort()];
}

function observedOf(observed: Observed, name: string): ObservedService {
  return observed.services[name] ?? { name, status: 'absent' };
}

/** Why a service that should run needs an action, or undefined when it is fine as it is. */
function upAction(desired: Desired, obs: ObservedService): Action | undefined {
  const spec = desired.services[obs.name]!;
  if (obs.status === 'absent') return { kind: 'start', service: obs.name, cause: 'not running' };
  if (obs.status === 'stale') return { kind: 'start', service: obs.name, cause: `not running (${obs.why})` };
  const shape = shapeOf(spec);
  if (obs.record.configHash === configHash(shape)) return undefined;
  const changes = shapeChanges(obs.record.shape, shape);
  const cause = changes.length > 0 ? `config changed: ${changes.join(', ')}` : 'config changed';
  return { kind: 'recreate', service: obs.name, cause };
}

/** `12s`, `5m`, `3h`, `2d`: how long ago, for a note. */
function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * A one-shot task (isTask in core/model.ts) runs again only when its last run did not complete (it
 * failed, or nobody knows how it ended) or its config changed since it completed; a run
 * still going (an `up` interrupted while it ran) is waited for like a start.
 *
 *   absent ──────────────────────────────> start  `not run yet`
 *   running, same config ────────────────> await its exit (awaitReady)
 *   running, config changed ─────────────> recreate
 *   ended with exit 0, same config ──────> nothing; note `completed 5m ago, unchanged`
 *   ended with exit 0, config changed ───> start  `config changed: command`
 *   ended otherwise ─────────────────────> start  `failed last time (exit 1)`
 */
function taskAction(
  desired: Desired,
  obs: ObservedService,
  now: number | undefined,
): Action | { note: string } | undefined {
  if (obs.status === 'absent') return { kind: 'start', service: obs.name, cause: 'not run yet' };
  const shape = shapeOf(desired.services[obs.name]!);
  const changes = () => {
    const named = shapeChanges(obs.record.shape, shape);
    return named.length > 0 ? `config changed: ${named.join(', ')}` : 'config changed';
  };
  const same = obs.record.configHash === configHash(shape);
  if (obs.status === 'running')
    return same ? undefined : { kind: 'recreate', service: obs.name, cause: changes() };
  const exit = obs.record.exit;
  if (exit?.code === 0) {
    if (!same) return { kind: 'start', service: obs.name, cause: changes() };
    // The record comes from disk: a finish time that does not parse just goes unsaid.
    const finished = Date.parse(exit.finishedAt);
    const age = now === undefined || Number.isNaN(finished) ? '' : ` ${ago(now - finished)} ago`;
    return { note: `${obs.name} completed${age}, unchanged` };
  }
  const cause =
    exit !== undefined && exitKnown(exit)
      ? `failed last time (${exit.code !== null ? `exit ${exit.code}` : exit.signal})`
      : `its last run's exit code is unknown (${obs.why})`;
  return { kind: 'start', service: obs.name, cause };
}

function planUp(desired: Desired, observed: Observed, request: PlanRequest): Plan {
  const notes: string[] = [];
  const explicit = new Set(request.targets);
  const roots =
    request.targets.length > 0
      ? request.targets
      : Object.values(desired.services)
          .filter((s) => !s.disabled)
          .map((s) => s.name);
  for (const name of request.targets) {
    if (desired.services[name]?.disabled)
      notes.push(`${name} is disabled in the manifest; starting it as asked`);
  }
  const wanted = withDependencies(desired, roots);
  const orphans = Object.keys(observed.services).filter((n) => desired.services[n] === undefined);
  const order = dependencyOrder(desired, orphans);

  const stops: Action[] = [];
  const starts: Action[] = [];
  const awaitReady: string[] = [];
  for (const name of order) {
    const obs = observedOf(observed, name);
    if (desired.services[name] === undefined) {
      if (obs.status === 'stale') {
        stops.push({ kind: 'remove-stale', service: name, cause: `removed from manifest (${obs.why})` });
      } else if (obs.status === 'running') {
        if (request.removeOrphans || request.removeNames?.includes(name))
          stops.push({ kind: 'stop', service: name, cause: 'removed from manifest' });
        else notes.push(`${name} runs but is no longer in the manifest; --remove-orphans stops it`);
      }
      continue;
    }
    if (!wanted.has(name)) continue;
    const decided = isTask(desired, name) ? taskAction(desired, obs, request.now) : upAction(desired, obs);
    if (decided !== undefined && 'note' in decided) {
      // `restart setup` runs a completed task again on request (its dependents stay as they are).
      const asked = request.command === 'restart' && (explicit.size === 0 || explicit.has(name));
      if (asked) starts.push({ kind: 'start', service: name, cause: 'restart requested' });
      else notes.push(decided.note);
      continue;
    }
    const action = decided;
    if (action === undefined) {
      awaitReady.push(name);
      continue;
    }
    if (
      request.command === 'up' &&
      !explicit.has(name) &&
      request.targets.length > 0 &&
      action.kind === 'start'
    ) {
      action.cause = `${action.cause}; needed by ${dependentsIn(desired, name, wanted).join(', ')}`;
    }
    starts.push(action);
  }
  // Stops run dependents first: reverse the dependency order.
  return { actions: [...stops.reverse(), ...starts], notes, awaitReady };
}

/** The wanted services that depend directly on `name`, for causes like "needed by web". */
function dependentsIn(desired: Desired, name: string, wanted: Set<string>): string[] {
  return [...wanted].filter((n) => desired.services[n]?.dependsOn[name] !== undefined);
}

function planDown(desired: Desired, observed: Observed, request: PlanRequest): Plan {
  const all = request.targets.length === 0;
  const leftovers = new Set(observed.leftovers ?? []);
  const selected = all
    ? new Set([...Object.keys(observed.services), ...leftovers])
    : withDependents(desired, request.targets);
  const order = dependencyOrder(
    desired,
    [...new Set([...Object.keys(observed.services), ...leftovers])].filter(
      (n) => desired.services[n] === undefined,
    ),
  ).reverse();
  const actions: Action[] = [];
  for (const name of order) {
    if (!selected.has(name)) continue;
    const obs = observedOf(observed, name);
    if (obs.status === 'absent') {
      // No record vouches for a PID, so only the tag finds these; remove-stale stops them by it.
      if (leftovers.has(name))
        actions.push({
          kind: 'remove-stale',
          service: name,
          cause: 'no run record, but processes carry its tag',
        });
      continue;
    }
    if (obs.status === 'stale') {
      actions.push({ kind: 'remove-stale', service: name, cause: obs.why });
      continue;
    }
    const orphan = desired.services[name] === undefined && !desired.recordsOnly;
    const cause = all
      ? orphan
        ? 'down (not in the manifest)'
        : 'down'
      : request.targets.includes(name)
        ? 'down requested'
        : `depends on ${Object.keys(desired.services[name]?.dependsOn ?? {})
            .filter((d) => selected.has(d))
            .join(', ')}`;
    actions.push({ kind: 'stop', service: name, cause });
  }
  return { actions, notes: [], awaitReady: [] };
}

function planRestart(desired: Desired, observed: Observed, request: PlanRequest): Plan {
  const up = planUp(desired, observed, { ...request, command: 'restart', removeOrphans: false });
  const targets = new Set(request.targets.length > 0 ? request.targets : Object.keys(desired.services));
  const planned = new Set(up.actions.map((a) => a.service));
  const actions = up.actions.slice();
  for (const name of dependencyOrder(desired, [])) {
    const obs = observedOf(observed, name);
    if (!targets.has(name) || planned.has(name)) continue;
    if (obs.status === 'running')
      actions.push({ kind: 'recreate', service: name, cause: request.restartCause ?? 'restart requested' });
  }
  // Keep dependency order among the starts and recreates.
  const order = dependencyOrder(desired, []);
  const rank = (a: Action) =>
    a.kind === 'stop' || a.kind === 'remove-stale' ? -1 : order.indexOf(a.service);
  actions.sort((a, b) => rank(a) - rank(b));
  return { actions, notes: up.notes, awaitReady: up.awaitReady.filter((n) => !targets.has(n)) };
}

/** desired + observed + what the user asked → the actions, each with its cause. Pure. */
export function plan(desired: Desired, observed: Observed, request: PlanRequest): Plan {
  switch (request.command) {
    case 'up':
      return planUp(desired, observed, request);
    case 'down':
      return planDown(desired, observed, request);
    case 'restart':
      return planRestart(desired, observed, request);
  }
}

/** The plan as text: one line per action, aligned; the `--dry-run` output and the test oracle. */
export function formatPlan(p: Plan): string {
  if (p.actions.length === 0 && p.notes.length === 0) return 'nothing to do\n';
  const width = Math.max(0, ...p.actions.map((a) => a.service.length));
  const lines = p.actions.map((a) => `${a.kind.padEnd(12)} ${a.service.padEnd(width)}  ${a.cause}`);
  for (const note of p.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
