/**
 * How limits hold, decided purely (core/placement.ts), and the facts and command lines
 * around it: mountinfo and /proc/self/cgroup parsing, the delegation check, the exec'ing
 * wrapper, systemd's properties, and which running services make a supervisor needed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Limits } from '../../src/core/model.js';
import { choosePlace, type PlaceFacts, parsePlaceKind } from '../../src/core/placement.js';
import { memoryWatched, needsSupervision } from '../../src/core/supervision.js';
import { gatherFacts, parseMountinfo, parseSelfCgroup } from '../../src/runtime/place/facts.js';
import { launchCommand } from '../../src/runtime/place/launch.js';
import { systemdProperties } from '../../src/runtime/place/prepare.js';
import { tempProject } from '../helpers/temp-project.js';

const all: Limits = { memory: 128 << 20, cpu: 1.5, processes: 20, openFiles: 300 };
const set = (...c: string[]) => new Set(c);

const v1: PlaceFacts = {
  cgroup1: new Map([
    ['memory', '/sys/fs/cgroup/memory/uiprocs'],
    ['cpu', '/sys/fs/cgroup/cpu/uiprocs'],
    ['pids', '/sys/fs/cgroup/pids/uiprocs'],
  ]),
  why: {},
};

describe('choosePlace', () => {
  it('prefers cgroup v2, then systemd, then cgroup v1 when they enforce as much', () => {
    const everything: PlaceFacts = {
      ...v1,
      cgroup2: { base: '/sys/fs/cgroup/uiprocs', controllers: set('memory', 'cpu', 'pids') },
      systemd: {
        systemdRun: '/usr/bin/systemd-run',
        delegated: set('memory', 'cpu', 'pids'),
        mount: '/sys/fs/cgroup',
      },
    };
    expect(choosePlace(all, everything)).toEqual({
      ok: true,
      value: {
        kind: 'cgroup2',
        controllers: ['memory', 'cpu', 'pids'],
        enforced: { memory: 'cgroup', cpu: 'cgroup', processes: 'cgroup', open_files: 'rlimit' },
      },
    });
    const { cgroup2: _, ...noV2 } = everything;
    expect(choosePlace(all, noV2)).toMatchObject({
      value: { kind: 'systemd', enforced: { memory: 'systemd', cpu: 'systemd', processes: 'systemd' } },
    });
  });

  it('takes the way that enforces the most: this machine (v2 without controllers, no user manager) gets cgroup v1', () => {
    const here: PlaceFacts = {
      ...v1,
      cgroup2: { base: '/sys/fs/cgroup/unified/uiprocs', controllers: set('hugetlb') },
      why: {},
    };
    expect(choosePlace(all, here)).toMatchObject({ value: { kind: 'cgroup1' } });
    // systemd before 252 delegates no cpu: v1 enforces more.
    const oldSystemd: PlaceFacts = {
      ...v1,
      systemd: { systemdRun: 'systemd-run', delegated: set('memory', 'pids'), mount: '/sys/fs/cgroup' },
    };
    expect(choosePlace(all, oldSystemd)).toMatchObject({ value: { kind: 'cgroup1' } });
    expect(choosePlace({ memory: 1 << 27 }, oldSystemd)).toMatchObject({ value: { kind: 'systemd' } });
  });

  it('without any cgroup: memory is watched, cpu and processes are not enforced, open_files is an rlimit', () => {
    expect(choosePlace(all, { why: {} })).toEqual({
      ok: true,
      value: {
        kind: 'none',
        controllers: [],
        enforced: { memory: 'watched', cpu: 'not enforced', processes: 'not enforced', open_files: 'rlimit' },
      },
    });
  });

  it('needs no cgroup for open_files alone', () => {
    expect(choosePlace({ openFiles: 10 }, v1)).toMatchObject({
      value: { kind: 'none', enforced: { open_files: 'rlimit' } },
    });
  });

  it('says, for a way forced with UIPROCS_PLACE, what it cannot enforce; and refuses one that cannot be used', () => {
    const here: PlaceFacts = {
      ...v1,
      cgroup2: { base: '/x/uiprocs', controllers: set() },
      why: { systemd: 'systemd-run is not on PATH' },
    };
    expect(choosePlace(all, here, 'cgroup2')).toMatchObject({
      value: {
        kind: 'cgroup2',
        enforced: { memory: 'watched', cpu: 'not enforced', processes: 'not enforced' },
      },
    });
    expect(choosePlace(all, here, 'systemd')).toEqual({
      ok: false,
      error: {
        reason: 'service-failed',
        message:
          'UIPROCS_PLACE=systemd, but systemd-run --user --scope cannot be used here: systemd-run is not on PATH',
      },
    });
    expect(parsePlaceKind('cgroup3')).toMatchObject({ ok: false, error: { reason: 'usage' } });
    expect(parsePlaceKind('none')).toEqual({ ok: true, value: 'none' });
  });
});

describe('machine facts', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads mountinfo (escaped mount points) and /proc/self/cgroup (v1 lines and the v2 one)', () => {
    const mounts = parseMountinfo(
      [
        '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
        '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:5 - cgroup cgroup rw,memory',
        '41 31 0:38 / /sys/fs/cgroup/un\\040ified rw,relatime - cgroup2 cgroup2 rw',
      ].join('\n'),
    );
    expect(mounts).toEqual([
      { point: '/sys/fs/cgroup/cpu', type: 'cgroup', superOptions: ['rw', 'cpu'] },
      { point: '/sys/fs/cgroup/memory', type: 'cgroup', superOptions: ['rw', 'memory'] },
      { point: '/sys/fs/cgroup/un ified', type: 'cgroup2', superOptions: ['rw'] },
    ]);
    const self = parseSelfCgroup('4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/user.slice\n');
    expect([...self]).toEqual([
      ['memory', '/process_api/abc'],
      ['cpu', '/'],
      ['cpuacct', '/'],
      ['', '/user.slice'],
    ]);
  });

  it('finds a writable v1 hierarchy under the caller’s own cgroup, and a user manager’s delegation', () => {
    dir = mkdtempSync(join(tmpdir(), 'uiprocs-facts-'));
    mkdirSync(join(dir, 'memory', 'session'), { recursive: true });
    const v2 = join(dir, 'unified');
    const slice = join(v2, 'user.slice', 'user-1000.slice', 'user@1000.service');
    mkdirSync(slice, { recursive: true });
    writeFileSync(join(slice, 'cgroup.subtree_control'), 'cpu memory pids\n');
    writeFileSync(join(v2, 'cgroup.controllers'), 'hugetlb\n');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'systemd-run'), '#!/bin/sh\n', { mode: 0o755 });
    mkdirSync(join(dir, 'run', 'systemd'), { recursive: true });
    writeFileSync(join(dir, 'run', 'systemd', 'private'), '');
    const facts = gatherFacts({
      env: { PATH: join(dir, 'bin'), XDG_RUNTIME_DIR: join(dir, 'run') },
      uid: 1000,
      mountinfo: [
        `35 31 0:32 / ${join(dir, 'memory')} rw - cgroup cgroup rw,memory`,
        `41 31 0:38 / ${v2} rw - cgroup2 cgroup2 rw`,
      ].join('\n'),
      selfCgroup: '4:memory:/session\n0::/\n',
    });
    expect(facts.cgroup1).toEqual(new Map([['memory', join(dir, 'memory', 'session', 'uiprocs')]]));
    expect(facts.cgroup2).toEqual({ base: join(v2, 'uiprocs'), controllers: set('hugetlb') });
    expect(facts.systemd).toEqual({
      systemdRun: join(dir, 'bin', 'systemd-run'),
      delegated: set('cpu', 'memory', 'pids'),
      mount: v2,
    });
    // No user manager: no systemd way, and why.
    const none = gatherFacts({
      env: { PATH: join(dir, 'bin'), XDG_RUNTIME_DIR: join(dir, 'nowhere') },
      uid: 1000,
      mountinfo: '',
      selfCgroup: '',
    });
    expect(none.systemd).toBeUndefined();
    expect(none.why.systemd).toMatch(/^no systemd user manager runs/);
    expect(none.why.cgroup2).toBe('no cgroup2 hierarchy is mounted');
  });
});

describe('the command line that places a service', () => {
  it('joins the cgroups and sets the rlimit in a shell that execs the command, under systemd-run when asked', () => {
    const plain = launchCommand(
      { join: ['/cg/a/cgroup.procs', '/cg/b/cgroup.procs'], openFiles: 300 },
      'node',
      ['app.js'],
    );
    expect(plain.file).toBe('/bin/sh');
    expect(plain.args.slice(2)).toEqual([
      'uiprocs-place',
      '/cg/a/cgroup.procs',
      '/cg/b/cgroup.procs',
      '--',
      'node',
      'app.js',
    ]);
    expect(plain.args[1]).toContain('ulimit -n 300');
    expect(plain.args[1]).toMatch(/exec "\$@"$/);
    const scoped = launchCommand(
      {
        join: [],
        systemd: { systemdRun: '/usr/bin/systemd-run', unit: 'u.scope', properties: ['TasksMax=20'] },
      },
      'node',
      ['app.js'],
    );
    expect(scoped.file).toBe('/usr/bin/systemd-run');
    expect(scoped.args.slice(0, 8)).toEqual([
      '--user',
      '--scope',
      '--quiet',
      '--collect',
      '--unit=u.scope',
      '-p',
      'TasksMax=20',
      '--',
    ]);
    expect(scoped.args.slice(-4)).toEqual(['uiprocs-place', '--', 'node', 'app.js']);
  });

  it('passes systemd only the properties of delegated controllers', () => {
    expect(systemdProperties(all, ['memory', 'cpu', 'pids'])).toEqual([
      `MemoryMax=${128 << 20}`,
      'MemorySwapMax=0',
      'CPUQuota=150%',
      'TasksMax=20',
    ]);
    expect(systemdProperties(all, ['memory'])).toEqual([`MemoryMax=${128 << 20}`, 'MemorySwapMax=0']);
  });
});

describe('a watched memory limit needs a supervisor', () => {
  it('only when the record says the limit is watched', () => {
    const project = tempProject();
    const spec = project.spec('hog', 'x', { limits: { memory: 1 << 27 } });
    project.cleanup();
    expect(needsSupervision(spec)).toBe(false);
    expect(needsSupervision(spec, true)).toBe(true);
    expect(needsSupervision({ ...spec, limits: { cpu: 1 } }, true)).toBe(false);
    const place = (memory: 'watched' | 'cgroup') => ({
      kind: 'none' as const,
      cgroups: [],
      limits: {},
      enforced: { memory },
    });
    expect(
      memoryWatched([
        { name: 'a', place: place('watched') },
        { name: 'b', place: place('cgroup') },
        { name: 'c' },
      ]),
    ).toEqual(set('a'));
  });
});
