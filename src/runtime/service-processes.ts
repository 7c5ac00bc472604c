import { environsOf, isLive, type ProcInfo, processTable, type System } from './system.js';

/** Which processes belong to one service, however they got away from the leader. */
export interface ServiceSelector {
  projectId: string;
  service: string;
  /** The recorded leader; 0 or absent when the record is not believed (tag sweep only). */
  pid?: number;
  pgid?: number;
}

export interface ServiceProcess {
  pid: number;
  /** Identity at discovery: a PID whose start time changed is someone else now. */
  startTime: string;
  pgid: number;
  command: string;
  /** How it was found (the first that applies). */
  via: 'group' | 'descendant' | 'tag';
}

/**
 * Every live process of a service: members of its process group, descendants by parent
 * PID of any member (they may have left the group), and every process whose environment
 * carries `UIPROCS_PROJECT=<id>` and `UIPROCS_SERVICE=<name>` (double-forked, setsid'd
 * grandchildren that are no longer anyone's descendant). Zombies are dead and left out.
 *
 * PID 0 and 1 are never a group or leader here: `kill(-0)` would hit the caller's own
 * group, so a selector without a believed record finds by tag only.
 */
export function findServiceProcesses(system: System, selector: ServiceSelector): ServiceProcess[] {
  const table = processTable(system).filter(isLive);
  const found = new Map<number, { info: ProcInfo; via: ServiceProcess['via'] }>();
  const pgid = selector.pgid ?? 0;
  const leader = selector.pid ?? 0;

  if (pgid > 1) for (const info of table) if (info.pgid === pgid) found.set(info.pid, { info, via: 'group' });
  if (leader > 1 && !found.has(leader)) {
    const info = table.find((p) => p.pid === leader);
    if (info && info.pgid === pgid) found.set(leader, { info, via: 'group' });
  }

  const candidates = table.filter((p) => p.pid !== process.pid && !found.has(p.pid));
  const envs = environsOf(
    system,
    candidates.map((p) => p.pid),
  );
  for (const info of candidates) {
    const env = envs.get(info.pid);
    if (env && env.UIPROCS_PROJECT === selector.projectId && env.UIPROCS_SERVICE === selector.service) {
      found.set(info.pid, { info, via: 'tag' });
    }
  }
  addDescendants(table, found);

  return [...found.values()].map(({ info, via }) => ({
    pid: info.pid,
    startTime: info.startTime,
    pgid: info.pgid,
    command: system.cmdline(info.pid) ?? '?',
    via,
  }));
}

/** Walks parent links down from every member found so far (tree-kill's approach, over a snapshot). */
function addDescendants(
  table: ProcInfo[],
  found: Map<number, { info: ProcInfo; via: ServiceProcess['via'] }>,
): void {
  const children = new Map<number, ProcInfo[]>();
  for (const info of table) {
    const list = children.get(info.ppid);
    if (list) list.push(info);
    else children.set(info.ppid, [info]);
  }
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
 * of 50 services asks "is anything of this service alive?" once, not 50 times.
 */
export function taggedProcesses(system: System, projectId: string): Map<string, ServiceProcess[]> {
  const table = processTable(system).filter((p) => isLive(p) && p.pid !== process.pid);
  const envs = environsOf(
    system,
    table.map((p) => p.pid),
  );
  const out = new Map<string, ServiceProcess[]>();
  for (const info of table) {
    const env = envs.get(info.pid);
    const service = env?.UIPROCS_SERVICE;
    if (env?.UIPROCS_PROJECT !== projectId || service === undefined) continue;
    const entry: ServiceProcess = {
      pid: info.pid,
      startTime: info.startTime,
      pgid: info.pgid,
      command: system.cmdline(info.pid) ?? '?',
      via: 'tag',
    };
    const list = out.get(service);
    if (list) list.push(entry);
    else out.set(service, [entry]);
  }
  return out;
}
