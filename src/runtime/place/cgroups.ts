/**
 * A service's own cgroup directories, v2 or v1: made before it starts, its limits
 * written, joined by the service itself before its command runs (launch.ts), emptied by
 * its stop and removed after. The paths are kept in its run record, so `ps`, `down` and
 * the sweep for leftovers read the exact member list (members.ts) whatever this process's
 * own cgroup is.
 *
 * Files (kernel docs, cgroup-v2.rst and cgroup-v1/*):
 *   v2  memory.max (+ memory.swap.max 0), cpu.max `<quota> <period>`, pids.max;
 *       memory.events `oom_kill N`; the controllers enabled in every ancestor's
 *       cgroup.subtree_control
 *   v1  memory.limit_in_bytes (+ memory.memsw.limit_in_bytes, so it cannot swap instead),
 *       cpu.cfs_quota_us over cpu.cfs_period_us, pids.max; memory.oom_control `oom_kill N`
 * A limit the service no longer has is written back to `max` (`-1` for v1 cpu), since
 * the directory of a service is reused from one start to the next.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { Limits, RecordedPlace } from '../../core/model.js';
import { fail, ok, type Result } from '../../core/model.js';
import type { Controller, PlaceFacts } from '../../core/placement.js';

const CPU_PERIOD_US = 100_000;

export interface MadeCgroups {
  /** One per v1 hierarchy used, or the one v2 directory. */
  dirs: string[];
  /** The controllers whose limits were written (one that could not be enabled is missing). */
  written: Controller[];
}

function write(path: string, value: string): boolean {
  try {
    writeFileSync(path, value);
    return true;
  } catch {
    return false;
  }
}

function cgroupError(dir: string, error: unknown): Result<never> {
  const why = error instanceof Error ? error.message : String(error);
  return fail({ reason: 'service-failed', message: `cannot create the cgroup ${dir}: ${why}` });
}

/**
 * v2: `<base>/<project id>/<service>`, with `controllers` enabled down to it. A controller
 * the tree will not enable (the no-internal-process rule, a parent that lacks it) is left
 * out of `written`, so the caller reports that limit as watched or not enforced instead.
 */
export function makeCgroup2(
  facts: NonNullable<PlaceFacts['cgroup2']>,
  projectId: string,
  service: string,
  limits: Limits,
  controllers: readonly Controller[],
): Result<MadeCgroups> {
  const dir = join(facts.base, projectId, service);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    return cgroupError(dir, error);
  }
  const root = dirname(facts.base);
  const ancestors = [root];
  for (const part of relative(root, dirname(dir)).split('/')) ancestors.push(join(ancestors.at(-1)!, part));
  const written: Controller[] = [];
  for (const c of controllers) {
    if (!ancestors.every((a) => enabled(a, c) || write(join(a, 'cgroup.subtree_control'), `+${c}`))) continue;
    if (writeLimit2(dir, c, limits)) written.push(c);
  }
  // Limits it no longer has, where the controller is on.
  for (const c of ['memory', 'cpu', 'pids'] as const)
    if (!controllers.includes(c) && enabled(dirname(dir), c)) clearLimit2(dir, c);
  return ok({ dirs: [dir], written });
}

function enabled(dir: string, controller: Controller): boolean {
  try {
    return readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes(controller);
  } catch {
    return false;
  }
}

function writeLimit2(dir: string, c: Controller, limits: Limits): boolean {
  switch (c) {
    case 'memory': {
      const done = write(join(dir, 'memory.max'), String(limits.memory));
      write(join(dir, 'memory.swap.max'), '0');
      return done;
    }
    case 'cpu':
      return write(join(dir, 'cpu.max'), `${Math.round(limits.cpu! * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
    case 'pids':
      return write(join(dir, 'pids.max'), String(limits.processes));
  }
}

function clearLimit2(dir: string, c: Controller): void {
  if (c === 'memory') write(join(dir, 'memory.max'), 'max');
  if (c === 'cpu') write(join(dir, 'cpu.max'), `max ${CPU_PERIOD_US}`);
  if (c === 'pids') write(join(dir, 'pids.max'), 'max');
}

/**
 * v1: one directory per hierarchy the limits need, and the pids one whenever it exists
 * (it costs nothing and gives the exact member list). Memory's directory comes first, so
 * `oomKills` finds it; every directory holds the same processes.
 */
export function makeCgroup1(
  facts: NonNullable<PlaceFacts['cgroup1']>,
  projectId: string,
  service: string,
  limits: Limits,
  controllers: readonly Controller[],
): Result<MadeCgroups> {
  const use = (['memory', 'cpu', 'pids'] as const).filter(
    (c) => facts.has(c) && (controllers.includes(c) || c === 'pids'),
  );
  if (use.length === 0) {
    const any = [...facts.keys()][0];
    if (any !== undefined) use.push(any);
  }
  const dirs: string[] = [];
  const written: Controller[] = [];
  for (const c of use) {
    const dir = join(facts.get(c)!, projectId, service);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      return cgroupError(dir, error);
    }
    dirs.push(dir);
    if (controllers.includes(c)) {
      if (writeLimit1(dir, c, limits)) written.push(c);
    } else clearLimit1(dir, c);
  }
  return ok({ dirs, written });
}

function writeLimit1(dir: string, c: Controller, limits: Limits): boolean {
  switch (c) {
    case 'memory': {
      // memsw must stay ≥ the limit: raise it first when lowering both would fail.
      const bytes = String(limits.memory);
      write(join(dir, 'memory.memsw.limit_in_bytes'), '-1');
      const done = write(join(dir, 'memory.limit_in_bytes'), bytes);
      write(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
      return done;
    }
    case 'cpu':
      return (
        write(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US)) &&
        write(join(dir, 'cpu.cfs_quota_us'), String(Math.round(limits.cpu! * CPU_PERIOD_US)))
      );
    case 'pids':
      return write(join(dir, 'pids.max'), String(limits.processes));
  }
}

function clearLimit1(dir: string, c: Controller): void {
  if (c === 'memory') {
    write(join(dir, 'memory.memsw.limit_in_bytes'), '-1');
    write(join(dir, 'memory.limit_in_bytes'), '-1');
  }
  if (c === 'cpu') write(join(dir, 'cpu.cfs_quota_us'), '-1');
  if (c === 'pids') write(join(dir, 'pids.max'), 'max');
}

/**
 * How many times the kernel's OOM killer acted in the service's memory cgroup (v2
 * memory.events, v1 memory.oom_control), or undefined without one. A count above the
 * record's `oomKillsAtStart` means the service hit its memory limit.
 */
export function oomKills(place: RecordedPlace | undefined): number | undefined {
  if (place === undefined || place.enforced.memory === undefined) return undefined;
  if (place.enforced.memory !== 'cgroup' && place.enforced.memory !== 'systemd') return undefined;
  for (const dir of place.cgroups) {
    for (const file of ['memory.events', 'memory.oom_control']) {
      let text: string;
      try {
        text = readFileSync(join(dir, file), 'utf8');
      } catch {
        continue;
      }
      const m = /^oom_kill (\d+)$/m.exec(text);
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

/**
 * Removes a stopped service's cgroup directories, then its project's and uiprocs' own when
 * empty. A directory that still has processes (the kernel refuses with EBUSY) or was
 * removed already is left as it is: the next start reuses it.
 */
export function removeCgroups(place: RecordedPlace | undefined): void {
  if (place === undefined || place.kind === 'systemd') return; // systemd collects its scopes (--collect)
  for (const dir of place.cgroups) {
    const top = dirname(dirname(dir));
    for (const d of basename(top) === 'uiprocs' ? [dir, dirname(dir), top] : [dir]) {
      try {
        rmdirSync(d);
      } catch {
        break;
      }
    }
  }
}
