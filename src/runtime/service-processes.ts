import type { RecordedPlace } from '../core/model.js';
import { cgroupMembers } from './place/members.js';
import { isLive, type ProcInfo, processTable, type System, serviceTagsOf } from './system.js';

/** Which processes belong to one service, however they got away from the leader. */
export interface ServiceSelector {
  projectId: string;
  service: string;
  /** The recorded leader; 0 or absent when the record is not believed (tag sweep only). */
  pid?: number;
  pgid?: number;
  /** Its recorded place: with a cgroup, `cgroup.procs` is the exact member list. */
  place?: RecordedPlace;
}

export interface ServiceProcess {
  pid: number;
  /** Identity at discovery: a PID whose start time changed is someone else now. */
  startTime: string;
  pgid: number;
  /** How it was found (the first that applies). */
  via: 'cgroup' | 'group' | 'descendant' | 'tag';
}

/**
 * One look at every live process, and at which of them carry this project's tag. Reading
 * every environment is the expensive part of finding a service's processes (one file per
 * process), so a `down` of 50 services takes one snapshot for all of them, not 50.
 */
export interface ProcessSnapshot {
  projectId: string;
  /** Live processes (zombies are dead and left out), this CLI excluded. */
  table: ProcInfo[];
  /** PID → service name, for every process whose environment carries `UIPROCS_PROJECT=<id>`. */
  tags: Map<number, string>;
}

/**
 * `skipGroups`: process groups already known to be the project's (verified leaders of
 * running records): their members' environments are not read. Kernel threads (kthreadd,
 * PID 2, and its children) have none to read.
 */
export function snapshotProcesses(
  system: System,
  projectId: string,
  skipGroups: ReadonlySet<number> = new Set(),
): ProcessSnapshot {
  const table = processTable(system).filter((p) => isLive(p) && p.pid !== process.pid);
  const found = serviceTagsOf(
    system,
    table.filter((p) => p.pid !== 2 && p.ppid !== 2 && !skipGroups.has(p.pgid)).map((p) => p.pid),
  );
  const tags = new Map<number, string>();
  for (const [pid, tag] of found) if (tag.project === projectId) tags.set(pid, tag.service);
  return { projectId, table, tags };
}

/**
 * Every live process of a service: the members of its own cgroup when it has one (exact,
 * whatever they did), members of its process group, descendants by parent
 * PID of any member (they may have left the group), and every process whose environment
 * carries `UIPROCS_PROJECT=<id>` and `UIPROCS_SERVICE=<name>` (double-forked, setsid'd
 * grandchildren that are no longer anyone's descendant). Zombies are dead and left out.
 *
 * PID 0 and 1 are never a group or leader here: `kill(-0)` would hit the caller's own
 * group, so a selector without a believed record finds by tag only.
 */
export function findServiceProcesses(system: System, selector: ServiceSelector): ServiceProcess[] {
  return membersOf(snapshotProcesses(system, selector.projectId), selector);
}

/** findServiceProcesses over a snapshot already taken (for the same project). */
export function membersOf(snapshot: ProcessSnapshot, selector: ServiceSelector): ServiceProcess[] {
  const { table, tags } = snapshot;
  const index = indexOf(snapshot);
  const found = new Map<number, { info: ProcInfo; via: ServiceProcess['via'] }>();
  const pgid = selector.pgid ?? 0;
  const leader = selector.pid ?? 0;

  const exact = cgroupMembers(selector.place);
  if (exact !== undefined)
    for (const pid of exact) {
      const info = index.byPid.get(pid);
      if (info) found.set(pid, { info, via: 'cgroup' });
    }
  if (pgid > 1)
    for (const info of index.groups.get(pgid) ?? [])
      if (!found.has(info.pid)) found.set(info.pid, { info, via: 'group' });
  if (leader > 1 && !found.has(leader)) {
    const info = index.byPid.get(leader);
    if (info && info.pgid === pgid) found.set(leader, { info, via: 'group' });
  }
  if (snapshot.projectId === selector.projectId && tags.size > 0) {
    for (const info of table) {
      if (!found.has(info.pid) && tags.get(info.pid) === selector.service)
        found.set(info.pid, { info, via: 'tag' });
    }
  }
  addDescendants(index.children, found);

  return [...found.values()].map(({ info, via }) => ({
    pid: info.pid,
    startTime: info.startTime,
    pgid: info.pgid,
    via,
  }));
}

/** A snapshot's table by PID, by parent PID and by process group. */
export interface SnapshotIndex {
  byPid: Map<number, ProcInfo>;
  children: Map<number, ProcInfo[]>;
  groups: Map<number, ProcInfo[]>;
}

const indexes = new WeakMap<readonly ProcInfo[], SnapshotIndex>();

/**
 * Built once per snapshot table and kept beside it: `ps` (usage) and `down` ask membersOf
 * about 50 services over one snapshot, and scanning the whole table for each of them (a
 * children map built anew per service) cost ~8 ms of a `ps` of 50.
 */
export function indexOf(snapshot: Pick<ProcessSnapshot, 'table'>): SnapshotIndex {
  const known = indexes.get(snapshot.table);
  if (known) return known;
  const index: SnapshotIndex = { byPid: new Map(), children: new Map(), groups: new Map() };
  for (const info of snapshot.table) {
    index.byPid.set(info.pid, info);
    const siblings = index.children.get(info.ppid);
    if (siblings) siblings.push(info);
    else index.children.set(info.ppid, [info]);
    const members = index.groups.get(info.pgid);
    if (members) members.push(info);
    else index.groups.set(info.pgid, [info]);
  }
  indexes.set(snapshot.table, index);
  return index;
}

/**
 * Snapshots shared by stops that run at once: each caller gets one taken after it asked,
 * and all callers of one turn of the event loop get the same one. Fifty services stopped
 * in parallel, whose polls run on timers that fire together, so sweep /proc a few times
 * instead of a hundred, while their servers exit on the same cores.
 */
export function createSweeper(system: System, projectId: string): () => Promise<ProcessSnapshot> {
  let next: Promise<ProcessSnapshot> | undefined;
  return () => {
    next ??= new Promise((resolve) => {
      setImmediate(() => {
        next = undefined;
        resolve(snapshotProcesses(system, projectId));
      });
    });
    return next;
  };
}

/** Walks parent links down from every member found so far (tree-kill's approach, over a snapshot). */
function addDescendants(
  children: ReadonlyMap<number, ProcInfo[]>,
  found: Map<number, { info: ProcInfo; via: ServiceProcess['via'] }>,
): void {
  const queue = [...found.keys()];
  while (queue.length > 0) {
    const parent = queue.pop()!;
    for (const child of children.get(parent) ?? []) {
      if (found.has(child.pid) || child.pid === process.pid) continue;
      found.set(child.pid, { info: child, via: 'descendant' });
      queue.push(child.pid);
    }
  }
}

/**
 * Live processes carrying this project's tag, grouped by service, from ONE sweep: `ps`
 * of 50 services asks "is anything of this service alive?" once, not 50 times. Members of
 * `skipGroups` are left out (see snapshotProcesses).
 */
export function taggedProcesses(
  system: System,
  projectId: string,
  skipGroups?: ReadonlySet<number>,
): Map<string, ServiceProcess[]> {
  return taggedIn(snapshotProcesses(system, projectId, skipGroups));
}

/** The tagged processes of a snapshot already taken, grouped by service. */
export function taggedIn(snapshot: ProcessSnapshot): Map<string, ServiceProcess[]> {
  const { table, tags } = snapshot;
  const out = new Map<string, ServiceProcess[]>();
  for (const info of table) {
    const service = tags.get(info.pid);
    if (service === undefined) continue;
    const entry: ServiceProcess = {
      pid: info.pid,
      startTime: info.startTime,
      pgid: info.pgid,
      via: 'tag',
    };
    const list = out.get(service);
    if (list) list.push(entry);
    else out.set(service, [entry]);
  }
  return out;
}
