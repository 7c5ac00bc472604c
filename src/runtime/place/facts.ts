/**
 * What this machine offers for holding limits (core/placement.ts decides with it): read
 * once per process, and only when a service has limits — a few small reads of
 * /proc/self/mountinfo, /proc/self/cgroup and the cgroup files.
 *
 * - cgroup v2: the cgroup2 mount, usable when uiprocs may write there (root, or a tree
 *   delegated to the user); its controllers are those in `cgroup.controllers`. uiprocs
 *   makes `<mount>/uiprocs/<project id>/<service>`.
 * - systemd: `systemd-run` on PATH, a user manager (its socket
 *   `$XDG_RUNTIME_DIR/systemd/private`), and the controllers in
 *   `<cgroup2 mount>/user.slice/user-UID.slice/user@UID.service/cgroup.subtree_control`
 *   (what it delegates; systemd issue 27943).
 * - cgroup v1 (as root): each of the memory, cpu and pids hierarchies that is writable;
 *   uiprocs makes `<mount>/<this process's cgroup>/uiprocs/<project id>/<service>`, under
 *   the caller's own cgroup so whatever limits the caller's session stay above it.
 *
 * `UIPROCS_CGROUP2_MOUNT` replaces the cgroup2 mount point (tests give a fake user
 * manager's delegation this way); `UIPROCS_PLACE` (core/placement.ts) forces a way.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Controller, PlaceFacts } from '../../core/placement.js';
import { findExecutable } from '../command-line.js';

export interface FactsInput {
  env: Record<string, string | undefined>;
  /** Defaults: the real files. */
  mountinfo?: string;
  selfCgroup?: string;
  uid?: number;
}

interface Mount {
  point: string;
  type: string;
  superOptions: string[];
}

/** Lines of /proc/self/mountinfo: `id parent dev root point opts [tags] - type source superopts`. */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    const point = unescapeMount(left[4] ?? '');
    mounts.push({ point, type: right[0] ?? '', superOptions: (right[2] ?? '').split(',') });
  }
  return mounts;
}

/** mountinfo escapes spaces and the like as `\040`. */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** `/proc/self/cgroup` → controller (or `` for v2) → path. */
export function parseSelfCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const path = line.slice(second + 1);
    for (const name of line.slice(first + 1, second).split(',')) out.set(name, path);
  }
  return out;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function words(text: string | undefined): Set<string> {
  return new Set((text ?? '').split(/\s+/).filter((w) => w !== ''));
}

export function gatherFacts(input: FactsInput): PlaceFacts {
  const env = input.env;
  const mounts = parseMountinfo(input.mountinfo ?? readText('/proc/self/mountinfo') ?? '');
  const self = parseSelfCgroup(input.selfCgroup ?? readText('/proc/self/cgroup') ?? '');
  const uid = input.uid ?? process.getuid?.() ?? -1;
  const facts: PlaceFacts = { why: {} };

  const v2mount = env.UIPROCS_CGROUP2_MOUNT ?? mounts.find((m) => m.type === 'cgroup2')?.point;
  if (v2mount === undefined) facts.why.cgroup2 = 'no cgroup2 hierarchy is mounted';
  else if (!writable(v2mount)) facts.why.cgroup2 = `${v2mount} is not writable by this user`;
  else
    facts.cgroup2 = {
      base: join(v2mount, 'uiprocs'),
      controllers: words(readText(join(v2mount, 'cgroup.controllers'))),
    };
  if (facts.cgroup2 !== undefined && facts.cgroup2.controllers.size === 0)
    facts.why.cgroup2 = `${v2mount} has no memory, cpu or pids controller`;

  const systemdRun = findExecutable('systemd-run', process.cwd(), env.PATH);
  const runtimeDir = env.XDG_RUNTIME_DIR ?? `/run/user/${uid}`;
  if (systemdRun === undefined) facts.why.systemd = 'systemd-run is not on PATH';
  else if (!existsSync(join(runtimeDir, 'systemd', 'private')))
    facts.why.systemd = `no systemd user manager runs (no ${join(runtimeDir, 'systemd', 'private')})`;
  else {
    const delegation =
      v2mount === undefined
        ? undefined
        : readText(join(v2mount, `user.slice/user-${uid}.slice/user@${uid}.service/cgroup.subtree_control`));
    facts.systemd = { systemdRun, delegated: words(delegation), mount: v2mount ?? '/sys/fs/cgroup' };
  }

  const v1 = new Map<Controller, string>();
  const v1why: string[] = [];
  for (const controller of ['memory', 'cpu', 'pids'] as const) {
    const mount = mounts.find((m) => m.type === 'cgroup' && m.superOptions.includes(controller));
    if (mount === undefined) continue;
    const own = self.get(controller) ?? '/';
    const dir = join(mount.point, own);
    if (writable(dir)) v1.set(controller, join(dir, 'uiprocs'));
    else v1why.push(`${dir} is not writable`);
  }
  if (v1.size > 0) facts.cgroup1 = v1;
  else facts.why.cgroup1 = v1why[0] ?? 'no cgroup v1 memory, cpu or pids hierarchy is mounted';
  return facts;
}

let cached: PlaceFacts | undefined;

/** gatherFacts for this process's environment, once. */
export function machineFacts(env: Record<string, string | undefined>): PlaceFacts {
  if (env !== process.env) return gatherFacts({ env });
  cached ??= gatherFacts({ env });
  return cached;
}
