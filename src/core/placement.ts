/**
 * Where a service with `limits:` runs, and how each of its limits holds, decided purely
 * from what the machine offers (runtime/place/facts.ts gathers it). The edges create the
 * cgroup or scope and report; every choice and its words are made here, unit-tested in
 * test/unit/placement.test.ts.
 *
 * The ways, in the order uiprocs prefers them when they enforce as much:
 *
 *   cgroup2   a writable cgroup v2 tree (root, or a delegated one): memory.max, cpu.max,
 *             pids.max, and an exact member list with cgroup.kill
 *   systemd   `systemd-run --user --scope -p MemoryMax= -p CPUQuota= -p TasksMax=`, when a
 *             user manager runs and delegates the controllers (systemd issue 27943: a
 *             limit on an undelegated controller is ignored without a word, so it is not
 *             passed and said to be not enforced)
 *   cgroup1   as root, the v1 memory, cpu and pids controllers
 *   none      no cgroup: memory is watched by the supervisor (restart over the limit), cpu
 *             and processes are not enforced
 *
 * The way that enforces the most of the service's memory/cpu/processes limits wins; a tie
 * goes to the earlier in that order. `open_files` is an rlimit in every way.
 */
import type { Enforcement, LimitName, Limits, PlaceKind } from './model.js';
import { fail, ok, type Result } from './model.js';

export type Controller = 'memory' | 'cpu' | 'pids';

/** What the machine offers, as gathered at the edge. A way is absent when it cannot be used. */
export interface PlaceFacts {
  /** A writable cgroup v2 tree: where uiprocs makes its cgroups, and the controllers it has. */
  cgroup2?: { base: string; controllers: ReadonlySet<string> };
  /** `systemd-run` and a user manager: the controllers it delegates to the user. */
  systemd?: {
    systemdRun: string;
    delegated: ReadonlySet<string> /** The cgroup2 mount its scopes live under. */;
    mount: string;
  };
  /** cgroup v1 controllers writable here, each with the directory uiprocs creates under. */
  cgroup1?: ReadonlyMap<Controller, string>;
  /** Why a way is missing, in a few words (`no user manager`), for `config` and errors. */
  why: Partial<Record<PlaceKind, string>>;
}

export interface Placement {
  kind: PlaceKind;
  /** How each limit the service has holds. */
  enforced: Partial<Record<LimitName, Enforcement>>;
  /** The controllers the chosen way enforces for this service (what to write or pass). */
  controllers: Controller[];
}

export const CONTROLLER_OF: Record<'memory' | 'cpu' | 'processes', Controller> = {
  memory: 'memory',
  cpu: 'cpu',
  processes: 'pids',
};

const ORDER: readonly PlaceKind[] = ['cgroup2', 'systemd', 'cgroup1'];

/** Whether `kind` is usable here and enforces `controller`. */
function enforces(facts: PlaceFacts, kind: PlaceKind, controller: Controller): boolean {
  switch (kind) {
    case 'cgroup2':
      return facts.cgroup2?.controllers.has(controller) === true;
    case 'systemd':
      return facts.systemd?.delegated.has(controller) === true;
    case 'cgroup1':
      return facts.cgroup1?.has(controller) === true;
    case 'none':
      return false;
  }
}

function available(facts: PlaceFacts, kind: PlaceKind): boolean {
  return kind === 'none' || facts[kind] !== undefined;
}

/** The kernel-enforced limits (memory, cpu, processes) a service has, as controllers. */
export function controllersWanted(limits: Limits): Controller[] {
  const out: Controller[] = [];
  if (limits.memory !== undefined) out.push('memory');
  if (limits.cpu !== undefined) out.push('cpu');
  if (limits.processes !== undefined) out.push('pids');
  return out;
}

/**
 * The way a service with `limits` runs, and how each limit holds. `forced`
 * (`UIPROCS_PLACE`) picks the way whatever it enforces; a forced way that cannot be used
 * here is a failure naming why.
 */
export function choosePlace(limits: Limits, facts: PlaceFacts, forced?: PlaceKind): Result<Placement> {
  const wanted = controllersWanted(limits);
  let kind: PlaceKind;
  if (forced !== undefined) {
    if (!available(facts, forced))
      return fail({
        reason: 'service-failed',
        message: `UIPROCS_PLACE=${forced}, but ${describeKind(forced)} cannot be used here: ${facts.why[forced] ?? 'not available'}`,
      });
    kind = forced;
  } else if (wanted.length === 0) {
    kind = 'none';
  } else {
    kind = 'none';
    let best = 0;
    for (const candidate of ORDER) {
      if (!available(facts, candidate)) continue;
      const score = wanted.filter((c) => enforces(facts, candidate, c)).length;
      if (score > best) {
        best = score;
        kind = candidate;
      }
    }
  }
  const controllers = wanted.filter((c) => enforces(facts, kind, c));
  const held: Enforcement = kind === 'systemd' ? 'systemd' : 'cgroup';
  const enforced: Placement['enforced'] = {};
  if (limits.memory !== undefined) enforced.memory = controllers.includes('memory') ? held : 'watched';
  if (limits.cpu !== undefined) enforced.cpu = controllers.includes('cpu') ? held : 'not enforced';
  if (limits.processes !== undefined)
    enforced.processes = controllers.includes('pids') ? held : 'not enforced';
  if (limits.openFiles !== undefined) enforced.open_files = 'rlimit';
  return ok({ kind, enforced, controllers });
}

export function describeKind(kind: PlaceKind): string {
  switch (kind) {
    case 'cgroup2':
      return 'a cgroup v2 tree';
    case 'systemd':
      return 'systemd-run --user --scope';
    case 'cgroup1':
      return 'the cgroup v1 controllers';
    case 'none':
      return 'no cgroup';
  }
}

/** `UIPROCS_PLACE`'s accepted values. */
export function parsePlaceKind(text: string | undefined): Result<PlaceKind | undefined> {
  if (text === undefined || text === '') return ok(undefined);
  if (text === 'cgroup2' || text === 'systemd' || text === 'cgroup1' || text === 'none') return ok(text);
  return fail({
    reason: 'usage',
    message: `UIPROCS_PLACE must be one of cgroup2, systemd, cgroup1, none (got ${JSON.stringify(text)})`,
  });
}
