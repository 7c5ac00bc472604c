/**
 * "A place a service runs in", for spawn: given a service's limits, choose the way
 * (core/placement.ts, from this machine's facts), make its cgroup or scope, and hand back
 * the command line that joins it (launch.ts) and the place to record. Nothing here runs
 * for a service without limits.
 *
 * What actually holds is what gets recorded: a controller a cgroup v2 tree refused to
 * enable turns that limit into `watched` (memory) or `not enforced`, and `up` says so.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import type { Enforcement, Limits, RecordedPlace, ServiceSpec } from '../../core/model.js';
import { ok, type Result } from '../../core/model.js';
import { type Controller, choosePlace, type Placement, parsePlaceKind } from '../../core/placement.js';
import { makeCgroup1, makeCgroup2, oomKills } from './cgroups.js';
import { machineFacts } from './facts.js';
import { type LaunchPlan, launchCommand } from './launch.js';

export interface PreparedPlace {
  wrap(file: string, args: readonly string[]): { file: string; args: string[] };
  /** The place to record, once the process runs (a systemd scope's cgroup is known only then). */
  settle(pid: number, clock: Clock): Promise<RecordedPlace>;
}

/** How the limits of `limits` would hold here, without making anything: `config`, `ps` of a stopped service. */
export function predictPlace(limits: Limits, env: Record<string, string | undefined>): Result<Placement> {
  const forced = parsePlaceKind(env.UIPROCS_PLACE);
  if (!forced.ok) return forced;
  return choosePlace(limits, machineFacts(env), forced.value);
}

export function preparePlace(
  spec: ServiceSpec,
  projectId: string,
  env: Record<string, string | undefined>,
): Result<PreparedPlace | undefined> {
  const limits = spec.limits;
  if (limits === undefined) return ok(undefined);
  const forced = parsePlaceKind(env.UIPROCS_PLACE);
  if (!forced.ok) return forced;
  const facts = machineFacts(env);
  const placement = choosePlace(limits, facts, forced.value);
  if (!placement.ok) return placement;
  const { kind, controllers } = placement.value;
  const enforced = { ...placement.value.enforced };
  const demote = (written: readonly Controller[]) => {
    if (limits.memory !== undefined && !written.includes('memory')) enforced.memory = 'watched';
    if (limits.cpu !== undefined && !written.includes('cpu')) enforced.cpu = 'not enforced';
    if (limits.processes !== undefined && !written.includes('pids')) enforced.processes = 'not enforced';
  };
  const plan: LaunchPlan = {
    join: [],
    ...(limits.openFiles !== undefined ? { openFiles: limits.openFiles } : {}),
  };
  let cgroups: string[] = [];
  if (kind === 'cgroup2' || kind === 'cgroup1') {
    const made =
      kind === 'cgroup2'
        ? makeCgroup2(facts.cgroup2!, projectId, spec.name, limits, controllers)
        : makeCgroup1(facts.cgroup1!, projectId, spec.name, limits, controllers);
    if (!made.ok) return made;
    demote(made.value.written);
    cgroups = made.value.dirs;
    plan.join = cgroups.map((d) => `${d}/cgroup.procs`);
  }
  let unit: string | undefined;
  if (kind === 'systemd') {
    unit = `uiprocs-${projectId}-${spec.name.replace(/[^A-Za-z0-9_-]/g, '_')}-${Date.now().toString(36)}.scope`;
    plan.systemd = {
      systemdRun: facts.systemd!.systemdRun,
      unit,
      properties: systemdProperties(limits, controllers),
    };
  }
  const place = (dirs: string[]): RecordedPlace => {
    const recorded: RecordedPlace = {
      kind,
      cgroups: dirs,
      limits,
      enforced: enforced as Record<string, Enforcement>,
    };
    const kills = oomKills(recorded);
    return kills === undefined ? recorded : { ...recorded, oomKillsAtStart: kills };
  };
  return ok({
    wrap: (file, args) => launchCommand(plan, file, args),
    async settle(pid, clock) {
      if (unit === undefined) return place(cgroups);
      return place(await scopeCgroup(pid, unit, facts.systemd!.mount, clock));
    },
  });
}

/** systemd.resource-control(5), only for what the user manager delegates (the rest would be ignored silently). */
export function systemdProperties(limits: Limits, controllers: readonly Controller[]): string[] {
  const out: string[] = [];
  if (controllers.includes('memory')) out.push(`MemoryMax=${limits.memory}`, 'MemorySwapMax=0');
  if (controllers.includes('cpu')) out.push(`CPUQuota=${Math.round(limits.cpu! * 100)}%`);
  if (controllers.includes('pids')) out.push(`TasksMax=${limits.processes}`);
  return out;
}

/**
 * The scope's cgroup directory, once systemd-run has handed over to the command (it
 * executes it only after the scope holds the process): `[]` when the process is not in a
 * cgroup named for the unit (gone, or a systemd-run that made no scope), so its members
 * are then found as any service's are.
 */
async function scopeCgroup(pid: number, unit: string, mount: string, clock: Clock): Promise<string[]> {
  const deadline = clock.now() + 2000;
  for (;;) {
    let argv0 = '';
    let cgroup = '';
    try {
      argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      return [];
    }
    if (!argv0.endsWith('systemd-run') || clock.now() > deadline) {
      const line = cgroup.split('\n').find((l) => l.startsWith('0::'));
      const path = line?.slice(3) ?? '';
      if (!path.endsWith(`/${unit}`)) return [];
      return [`${mount}${path}`];
    }
    await clock.sleep(10);
  }
}
