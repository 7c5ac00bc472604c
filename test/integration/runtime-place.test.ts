/**
 * Places, for real (issue 14): services spawned with limits in each way this machine can
 * run, checked from the kernel's side — the service's PID in its cgroup's `cgroup.procs`,
 * the limit files, `/proc/<pid>/limits`, a fork bomb stopped at `processes`, a process that
 * outgrows `memory` killed by the kernel, a process nothing but its cgroup can find
 * stopped by `stopService`.
 *
 * This machine (and CI) has cgroup v1 memory/cpu/pids writable as root and a cgroup2 tree
 * at /sys/fs/cgroup/unified without those controllers; no systemd user manager, so the
 * systemd way runs against a stand-in `systemd-run` that records its arguments and execs
 * the command (named so below). Tests that need root or a hierarchy skip when it is absent.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { Limits, RecordedPlace } from '../../src/core/model.js';
import { createLinuxSystem } from '../../src/runtime/linux-system.js';
import { oomKills, removeCgroups } from '../../src/runtime/place/cgroups.js';
import { gatherFacts } from '../../src/runtime/place/facts.js';
import { cgroupMembers } from '../../src/runtime/place/members.js';
import { spawnService } from '../../src/runtime/spawn.js';
import { stopService } from '../../src/runtime/stop.js';
import { anonRss, argvOf, freePort, isGone } from '../helpers/procs.js';
import { program, type TempProject, tempProject } from '../helpers/temp-project.js';
import { waitFor } from '../helpers/wait.js';

const system = createLinuxSystem();
const facts = gatherFacts({ env: process.env });
const hasV1 = ['memory', 'cpu', 'pids'].every((c) => facts.cgroup1?.has(c as 'memory'));
const hasV2 = facts.cgroup2 !== undefined;

let project: TempProject;
const places: RecordedPlace[] = [];
const extra: number[] = [];
afterEach(async () => {
  for (const pid of extra.splice(0)) kill(pid);
  for (const place of places) for (const pid of cgroupMembers(place) ?? []) kill(pid);
  project?.cleanup();
  for (const place of places.splice(0)) {
    await waitFor(() => (cgroupMembers(place) ?? []).length === 0, { what: 'the cgroup to empty' });
    removeCgroups(place);
  }
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

async function start(command: string, limits: Limits, env: Record<string, string | undefined> = {}) {
  const spec = project.spec('web', command, { limits });
  const result = await spawnService(
    { spec, port: null, projectId: project.projectId, project: 'demo', baseEnv: { ...process.env, ...env } },
    { system },
  );
  if (!result.ok) throw new Error(`spawn failed: ${JSON.stringify(result.error)}`);
  project.track(result.value.pid);
  if (result.value.place) places.push(result.value.place);
  return { ...result.value, spec };
}

const read = (path: string) => readFileSync(path, 'utf8').trim();

describe.skipIf(!hasV1)('cgroup v1 (as root)', () => {
  it('puts the server itself in its memory, cpu and pids cgroups with the limits written, open_files as an rlimit', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(
      `node ${program('serve.mjs')} ${port}`,
      { memory: 64 * 1024 * 1024, cpu: 0.5, processes: 20, openFiles: 300 },
      { UIPROCS_PLACE: 'cgroup1' },
    );
    expect(s.place).toMatchObject({
      kind: 'cgroup1',
      enforced: { memory: 'cgroup', cpu: 'cgroup', processes: 'cgroup', open_files: 'rlimit' },
      oomKillsAtStart: 0,
    });
    const [memory, cpu, pids] = s.place!.cgroups;
    expect(memory).toMatch(/\/sys\/fs\/cgroup\/memory\/.*uiprocs\/test-[0-9a-f]+\/web$/);
    // The wrapper exec'd: the recorded PID runs node, and it is the one in every cgroup.
    await waitFor(() => argvOf(s.pid)[0] === 'node', { what: 'the wrapper to exec node' });
    expect(argvOf(s.pid)).toEqual(['node', program('serve.mjs'), String(port)]);
    for (const dir of s.place!.cgroups)
      expect(read(`${dir}/cgroup.procs`).split('\n')).toContain(String(s.pid));
    expect(read(`${memory}/memory.limit_in_bytes`)).toBe(String(64 * 1024 * 1024));
    expect(read(`${cpu}/cpu.cfs_quota_us`)).toBe('50000');
    expect(read(`${pids}/pids.max`)).toBe('20');
    expect(readFileSync(`/proc/${s.pid}/limits`, 'utf8')).toMatch(/Max open files\s+300\s+300\s/);

    const report = await stopService(
      {
        pid: s.pid,
        pgid: s.pgid,
        projectId: project.projectId,
        service: 'web',
        startTime: s.startTime,
        place: s.place,
      },
      { signal: 'SIGTERM', timeoutMs: 5000, system, clock: systemClock },
    );
    expect(report.stopped).toBe(true);
    removeCgroups(s.place);
    for (const dir of s.place!.cgroups) expect(existsSync(dir)).toBe(false);
  });

  it('processes: 20 stops a fork bomb inside the service at 20', async () => {
    project = tempProject();
    const s = await start(
      `python3 ${program('fork-bomb.py')} 60`,
      { processes: 20 },
      { UIPROCS_PLACE: 'cgroup1' },
    );
    await waitFor(() => /started \d+ of 60/.test(readFileSync(s.spec.log.path, 'utf8')), {
      what: 'the fork bomb to report',
    });
    const got = Number(/started (\d+) of 60/.exec(readFileSync(s.spec.log.path, 'utf8'))![1]);
    // The script itself is one of the 20; the kernel refused the rest.
    expect(got).toBeLessThanOrEqual(19);
    expect(readFileSync(s.spec.log.path, 'utf8')).toMatch(/then Resource temporarily unavailable/);
    expect(got).toBeGreaterThan(0);
    const members = cgroupMembers(s.place)!;
    expect(members.length).toBeLessThanOrEqual(20);
    expect(Number(read(`${s.place!.cgroups[0]}/pids.current`))).toBeLessThanOrEqual(20);
  });

  it('memory: 128MB on a process that grows to 600 MB: the kernel kills it near its limit, and the cgroup counts the OOM kill', async () => {
    project = tempProject();
    const limit = 128 * 1024 * 1024;
    const s = await start(
      `node ${program('grow-memory.mjs')} 600 16`,
      { memory: limit },
      { UIPROCS_PLACE: 'cgroup1' },
    );
    let most = 0;
    await waitFor(
      () => {
        most = Math.max(most, anonRss(s.pid));
        return isGone(s.pid);
      },
      { timeout: 20_000, interval: 20, what: 'the kernel to kill the growing process' },
    );
    expect(most).toBeLessThan(limit * 1.1);
    expect(readFileSync(s.spec.log.path, 'utf8')).not.toContain('holding 600 MB');
    expect(oomKills(s.place)).toBeGreaterThan(s.place!.oomKillsAtStart ?? 0);
  });
});

describe.skipIf(!hasV2)('cgroup v2 (the unified tree here has no memory/cpu/pids controller)', () => {
  it('gives the service its own cgroup, whose member list finds a process nothing else can, and stopService stops it', async () => {
    project = tempProject();
    const port = await freePort();
    // A double-forked, setsid'd, untagged (env -i) sleep: not in the group, not a
    // descendant, no UIPROCS_* tag. Only the cgroup knows it is the service's.
    const s = await start(
      `(env -i setsid sleep 3600 &); exec node ${program('serve.mjs')} ${port}`,
      { memory: 64 * 1024 * 1024, cpu: 1, processes: 50 },
      { UIPROCS_PLACE: 'cgroup2' },
    );
    expect(s.place).toMatchObject({
      kind: 'cgroup2',
      enforced: { memory: 'watched', cpu: 'not enforced', processes: 'not enforced' },
    });
    const escaped = await waitFor(
      () => (cgroupMembers(s.place) ?? []).find((pid) => pid !== s.pid && argvOf(pid)[0] === 'sleep'),
      { what: 'the escaped sleep in the cgroup' },
    );
    extra.push(escaped);
    expect(system.environ(escaped)?.UIPROCS_SERVICE).toBeUndefined();
    expect(system.proc(escaped)!.sid).not.toBe(s.sid);

    // Without the place the stop cannot find it (this is what the cgroup adds) …
    const blind = await stopService(
      { pid: 0, pgid: 0, projectId: project.projectId, service: 'web' },
      { signal: 'SIGTERM', timeoutMs: 1000, system, clock: systemClock },
    );
    expect(blind.stopped).toBe(true);
    expect(isGone(escaped)).toBe(false);
    // … with it, everything goes.
    const report = await stopService(
      {
        pid: s.pid,
        pgid: s.pgid,
        projectId: project.projectId,
        service: 'web',
        startTime: s.startTime,
        place: s.place,
      },
      { signal: 'SIGTERM', timeoutMs: 5000, system, clock: systemClock },
    );
    expect(report.stopped).toBe(true);
    expect(isGone(escaped)).toBe(true);
    expect(isGone(s.pid)).toBe(true);
  });
});

describe('no cgroup (UIPROCS_PLACE=none)', () => {
  it('memory is watched, cpu and processes are not enforced, open_files holds as an rlimit on the server itself', async () => {
    project = tempProject();
    const s = await start(
      `node ${program('open-files.mjs')}`,
      { memory: 64 * 1024 * 1024, cpu: 1, processes: 5, openFiles: 300 },
      { UIPROCS_PLACE: 'none' },
    );
    expect(s.place).toEqual({
      kind: 'none',
      cgroups: [],
      limits: { memory: 64 * 1024 * 1024, cpu: 1, processes: 5, openFiles: 300 },
      enforced: { memory: 'watched', cpu: 'not enforced', processes: 'not enforced', open_files: 'rlimit' },
    });
    await waitFor(() => readFileSync(s.spec.log.path, 'utf8').includes('holding'), { what: 'the report' });
    // 300 descriptors at most: the 301st open fails with EMFILE.
    expect(readFileSync(s.spec.log.path, 'utf8')).toContain('holding 300 descriptors; then EMFILE');
    expect(argvOf(s.pid)).toEqual(['node', program('open-files.mjs')]);
  });
});

describe('systemd-run --user --scope, against a stand-in systemd-run (no user manager here)', () => {
  function standIn(delegated: string) {
    const dir = join(project.dir, 'fake');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    mkdirSync(join(dir, 'run', 'systemd'), { recursive: true });
    writeFileSync(join(dir, 'run', 'systemd', 'private'), '');
    const slice = join(
      dir,
      'cgroup',
      'user.slice',
      `user-${process.getuid!()}.slice`,
      `user@${process.getuid!()}.service`,
    );
    mkdirSync(slice, { recursive: true });
    writeFileSync(join(slice, 'cgroup.subtree_control'), `${delegated}\n`);
    const args = join(dir, 'args');
    writeFileSync(
      join(dir, 'bin', 'systemd-run'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${args}'\nwhile [ "$1" != -- ]; do shift; done; shift\nexec "$@"\n`,
    );
    chmodSync(join(dir, 'bin', 'systemd-run'), 0o755);
    return {
      env: {
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        XDG_RUNTIME_DIR: join(dir, 'run'),
        UIPROCS_CGROUP2_MOUNT: join(dir, 'cgroup'),
      },
      args: () => read(args).split('\n'),
    };
  }

  it('is chosen when the user manager delegates memory, cpu and pids: the limits go as properties, the PID stays the server', async () => {
    project = tempProject();
    const fake = standIn('cpu io memory pids');
    const port = await freePort();
    const s = await start(
      `node ${program('serve.mjs')} ${port}`,
      { memory: 128 * 1024 * 1024, cpu: 1.5, processes: 20, openFiles: 300 },
      fake.env,
    );
    expect(s.place).toMatchObject({
      kind: 'systemd',
      cgroups: [],
      enforced: { memory: 'systemd', cpu: 'systemd', processes: 'systemd', open_files: 'rlimit' },
    });
    await waitFor(() => argvOf(s.pid)[0] === 'node', { what: 'the stand-in and the wrapper to exec node' });
    const args = fake.args();
    expect(args.slice(0, 4)).toEqual(['--user', '--scope', '--quiet', '--collect']);
    expect(args[4]).toMatch(new RegExp(`^--unit=uiprocs-${project.projectId}-web-[0-9a-z]+\\.scope$`));
    const props = args.flatMap((a, i) => (args[i - 1] === '-p' ? [a] : []));
    expect(props).toEqual([
      `MemoryMax=${128 * 1024 * 1024}`,
      'MemorySwapMax=0',
      'CPUQuota=150%',
      'TasksMax=20',
    ]);
    await waitFor(() => argvOf(s.pid)[0] === 'node', { what: 'the stand-in and the wrapper to exec node' });
    expect(argvOf(s.pid)).toEqual(['node', program('serve.mjs'), String(port)]);
    expect(readFileSync(`/proc/${s.pid}/limits`, 'utf8')).toMatch(/Max open files\s+300\s+300\s/);
  });

  it('passes no property for a controller the user manager does not delegate, and says that limit is not enforced', async () => {
    project = tempProject();
    const fake = standIn('memory pids');
    const s = await start(
      `node ${program('serve.mjs')} ${await freePort()}`,
      { memory: 1 << 27, cpu: 1 },
      {
        ...fake.env,
        UIPROCS_PLACE: 'systemd',
      },
    );
    expect(s.place).toMatchObject({ kind: 'systemd', enforced: { memory: 'systemd', cpu: 'not enforced' } });
    await waitFor(() => argvOf(s.pid)[0] === 'node', { what: 'the stand-in and the wrapper to exec node' });
    expect(fake.args().filter((a) => a.startsWith('CPUQuota'))).toEqual([]);
  });
});
