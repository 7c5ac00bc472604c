import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent } from '../../src/core/format.js';
import type { RecordedPlace, RunRecord } from '../../src/core/model.js';
import { measureUsage } from '../../src/engine/usage.js';
import { readPageSize } from '../../src/runtime/linux-system.js';
import { cpuTimeTicks, parsePsLine } from '../../src/runtime/ps-system.js';
import type { ProcessSnapshot } from '../../src/runtime/service-processes.js';
import type { ProcInfo, System } from '../../src/runtime/system.js';
import {
  type CpuSample,
  chooseBase,
  FRESH_SAMPLE_WAIT_MS,
  MAX_SAMPLE_AGE_MS,
  MIN_SAMPLE_AGE_MS,
  pruneSamples,
  serviceUsage,
  usageProcesses,
} from '../../src/runtime/usage.js';
import { readCpuSamples } from '../../src/state/cpu-samples.js';

const p = (pid: number, ppid: number, pgid: number, extra: Partial<ProcInfo> = {}): ProcInfo => ({
  pid,
  ppid,
  pgid,
  sid: pgid,
  state: 'S',
  startTime: `${pid}0`,
  ...extra,
});
const sample = (at: number, ticks: Record<string, number> = {}): CpuSample => ({ at, ticks });

describe('chooseBase', () => {
  const now = 1_000_000;
  it('takes the newest sample at least MIN_SAMPLE_AGE_MS old', () => {
    const samples = [sample(now - 10_000), sample(now - 400), sample(now - 100)];
    expect(chooseBase(samples, now)?.at).toBe(now - 400);
    expect(chooseBase([sample(now - MIN_SAMPLE_AGE_MS)], now)?.at).toBe(now - MIN_SAMPLE_AGE_MS);
  });
  it('none when every sample is too young, too old, or from the future (clock went back)', () => {
    expect(chooseBase([], now)).toBeUndefined();
    expect(chooseBase([sample(now - MIN_SAMPLE_AGE_MS + 1)], now)).toBeUndefined();
    expect(chooseBase([sample(now - MAX_SAMPLE_AGE_MS - 1)], now)).toBeUndefined();
    expect(chooseBase([sample(now + 5_000)], now)).toBeUndefined();
  });
});

describe('pruneSamples', () => {
  const now = 1_000_000;
  it('keeps the usable base and spaced younger ones, drops the rest and gone processes', () => {
    const current = sample(now, { '1:10': 50 });
    const kept = pruneSamples(
      [
        sample(now - 600_000, { '1:10': 1 }), // too old
        sample(now - 2_000, { '1:10': 2 }), // older than the base: useless now
        sample(now - 300, { '1:10': 3, '9:90': 7 }), // the base; 9 is gone
        sample(now - 240, { '1:10': 4 }), // too close to the base
        sample(now - 100, { '1:10': 5 }), // spaced enough: a base in 150 ms
      ],
      current,
      new Set(['1:10']),
    );
    expect(kept).toEqual([sample(now - 300, { '1:10': 3 }), sample(now - 100, { '1:10': 5 }), current]);
  });
  it('rapid runs keep a handful, not one each', () => {
    let samples: CpuSample[] = [];
    for (let t = 0; t <= 5_000; t += 20) samples = pruneSamples(samples, sample(t), new Set());
    expect(samples.length).toBeLessThanOrEqual(4);
    expect(chooseBase(samples, 5_020)).toBeDefined();
  });
});

describe('serviceUsage', () => {
  it('CPU share of one core over the interval, one decimal; memory is the RSS sum', () => {
    const procs = [
      p(10, 1, 10, { cpuTicks: 150, rssBytes: 1000 }),
      p(11, 10, 10, { cpuTicks: 20, rssBytes: 24 }),
    ];
    const now = sample(2_000, { '10:100': 150, '11:110': 20 });
    const base = sample(1_000, { '10:100': 100, '11:110': 20 });
    expect(serviceUsage(procs, now, base)).toEqual({ cpuPercent: 50, memoryBytes: 1024, processes: 2 });
    // 1 tick in 300 ms: 3.3 %.
    expect(serviceUsage(procs, sample(1_300, { '10:100': 101 }), base).cpuPercent).toBe(3.3);
  });
  it('a process absent from the base started after it: all its time is in the interval', () => {
    const procs = [p(10, 1, 10), p(12, 10, 10)];
    const now = sample(1_500, { '10:100': 100, '12:120': 25 });
    expect(serviceUsage(procs, now, sample(1_000, { '10:100': 100 })).cpuPercent).toBe(50);
  });
  it('a service (re)started after the base: its CPU over its own life, not the base’s age', () => {
    // Restarted at 9_800 (base at 1_000): 19 ticks in its 200 ms is 95 %, not 19/9 s = 2.1 %.
    const procs = [p(20, 1, 20)];
    const now = sample(10_000, { '20:200': 19 });
    expect(serviceUsage(procs, now, sample(1_000, { '10:100': 100 }), 9_800).cpuPercent).toBe(95);
    // Started before the base: the base's interval, as before.
    expect(serviceUsage(procs, now, sample(9_000, { '20:200': 9 }), 500).cpuPercent).toBe(10);
  });
  it('unknown without a base or without CPU times; memory unknown without RSS', () => {
    expect(serviceUsage([p(10, 1, 10)], sample(1_000, { '10:100': 5 }), undefined)).toEqual({
      cpuPercent: null,
      memoryBytes: null,
      processes: 1,
    });
    expect(serviceUsage([p(10, 1, 10)], sample(1_500), sample(1_000)).cpuPercent).toBeNull();
  });
});

describe('usageProcesses: which processes a service sums over', () => {
  const table = [
    p(1, 0, 1),
    p(100, 1, 100), // the leader
    p(101, 100, 100), // same group
    p(102, 100, 102), // left the group (own session): a descendant
    p(103, 102, 102), // its child
    p(200, 1, 200), // setsid'd away: carries the tag only
    p(300, 1, 300), // a stranger
    p(104, 100, 100, { state: 'Z' }), // a zombie: dead
  ];
  const snapshot = (tags: Map<number, string> = new Map()): ProcessSnapshot => ({
    projectId: 'proj',
    table: table.filter((x) => x.state !== 'Z'),
    tags,
  });
  const record = { name: 'web', pid: 100, pgid: 100 } satisfies Partial<RunRecord>;
  const pids = (list: ProcInfo[]) => list.map((x) => x.pid).sort((a, b) => a - b);

  it('group members plus descendants by parent PID, plus processes with its tag', () => {
    expect(pids(usageProcesses(snapshot(), record))).toEqual([100, 101, 102, 103]);
    expect(pids(usageProcesses(snapshot(new Map([[200, 'web']])), record))).toEqual([
      100, 101, 102, 103, 200,
    ]);
    expect(pids(usageProcesses(snapshot(new Map([[200, 'api']])), record))).toEqual([100, 101, 102, 103]);
  });

  it('with a recorded cgroup, exactly its cgroup.procs (live ones), nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uiprocs-cg-'));
    try {
      writeFileSync(join(dir, 'cgroup.procs'), '101\n300\n999\n');
      const place: RecordedPlace = { kind: 'cgroup2', cgroups: [dir], limits: {}, enforced: {} };
      expect(pids(usageProcesses(snapshot(), { ...record, place }))).toEqual([101, 300]);
      // An empty list of cgroups, or one that cannot be read: the process group as before.
      expect(pids(usageProcesses(snapshot(), { ...record, place: { ...place, cgroups: [] } }))).toEqual([
        100, 101, 102, 103,
      ]);
      const gone: RecordedPlace = { ...place, cgroups: [join(dir, 'removed')] };
      expect(pids(usageProcesses(snapshot(), { ...record, place: gone }))).toEqual([100, 101, 102, 103]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('measureUsage', () => {
  /** A System whose processes use `rate` ticks per 100 ms of the fake clock. */
  function fake(clock: { t: number }, rate: number): System {
    const info = () => p(100, 1, 100, { cpuTicks: Math.round((clock.t / 100) * rate), rssBytes: 4096 });
    return {
      kind: 'linux',
      bootId: () => 'boot',
      proc: (pid) => (pid === 100 ? info() : undefined),
      pids: () => [100],
      environ: () => undefined,
      cmdline: () => undefined,
      portOwners: () => [],
    };
  }
  const record = { name: 'web', pid: 100, pgid: 100, startTime: '1000' } as RunRecord;

  it('without a stored base it waits once for a second sample; the next run uses the stored one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uiprocs-usage-'));
    try {
      const clock = { t: 10_000 };
      const waits: number[] = [];
      const options = {
        stateDir: dir,
        now: () => clock.t,
        sleep: async (ms: number) => {
          waits.push(ms);
          clock.t += ms;
        },
      };
      const system = fake(clock, 4); // 4 ticks per 100 ms: 40 % of a core
      const first = await measureUsage(system, 'proj', [record], options);
      expect(waits).toEqual([FRESH_SAMPLE_WAIT_MS]);
      expect(first.get('web')).toEqual({ cpuPercent: 40, memoryBytes: 4096, processes: 1 });
      expect(readCpuSamples(dir).map((s) => s.at)).toEqual([10_000, 10_250]);

      clock.t += 1_000;
      const second = await measureUsage(system, 'proj', [record], options);
      expect(waits).toHaveLength(1);
      expect(second.get('web')?.cpuPercent).toBe(40);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('waitForBase: false (the dashboard) answers at once with CPU unknown, and keeps its sample for the next look', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uiprocs-usage-'));
    try {
      const clock = { t: 10_000 };
      const waits: number[] = [];
      const options = {
        stateDir: dir,
        now: () => clock.t,
        sleep: async (ms: number) => {
          waits.push(ms);
          clock.t += ms;
        },
        waitForBase: false,
      };
      const system = fake(clock, 4);
      const first = await measureUsage(system, 'proj', [record], options);
      expect(waits).toEqual([]);
      expect(first.get('web')).toEqual({ cpuPercent: null, memoryBytes: 4096, processes: 1 });
      clock.t += 1_000;
      expect((await measureUsage(system, 'proj', [record], options)).get('web')?.cpuPercent).toBe(40);
      expect(waits).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an untrusted state dir (none given) is neither read nor written: it samples twice every time', async () => {
    const clock = { t: 10_000 };
    const waits: number[] = [];
    const options = {
      now: () => clock.t,
      sleep: async (ms: number) => {
        waits.push(ms);
        clock.t += ms;
      },
    };
    await measureUsage(fake(clock, 10), 'proj', [record], options);
    await measureUsage(fake(clock, 10), 'proj', [record], options);
    expect(waits).toHaveLength(2);
  });
});

describe('formatting', () => {
  it('formatBytes: binary units like the manifest, three significant digits', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(812 * 1024)).toBe('812 KB');
    expect(formatBytes(96.3 * 1024 * 1024)).toBe('96.3 MB');
    expect(formatBytes(1.25 * 1024 ** 3)).toBe('1.25 GB');
    expect(formatBytes(999.7 * 1024)).toBe('0.98 MB');
  });
  it('formatPercent: one decimal only below 10 %', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.4)).toBe('0.4%');
    expect(formatPercent(12.4)).toBe('12%');
    expect(formatPercent(198.6)).toBe('199%');
  });
});

describe('the ps fallback and the page size', () => {
  it('parsePsLine reads rss (KiB) and time; lstart stays the rest of the line', () => {
    expect(parsePsLine('  42     1    42    42 Ss    2048 00:01:05 Wed Dec  2 13:23:59 2026')).toEqual({
      pid: 42,
      ppid: 1,
      pgid: 42,
      sid: 42,
      state: 'S',
      startTime: '2026-12-02T13:23:59Z',
      rssBytes: 2048 * 1024,
      cpuTicks: 6500,
    });
  });
  it('cpuTimeTicks: procps whole seconds, macOS hundredths, days', () => {
    expect(cpuTimeTicks('00:00:01')).toBe(100);
    expect(cpuTimeTicks('0:01.25')).toBe(125);
    expect(cpuTimeTicks('1-02:03:04')).toBe((86_400 + 2 * 3600 + 3 * 60 + 4) * 100);
    expect(cpuTimeTicks('junk')).toBeUndefined();
  });
  it('readPageSize reads AT_PAGESZ from the auxiliary vector, 4096 when it cannot', () => {
    expect(readPageSize()).toBe(4096); // these machines
    expect(readPageSize('/nonexistent')).toBe(4096);
    const root = mkdtempSync(join(tmpdir(), 'uiprocs-auxv-'));
    try {
      mkdirSync(join(root, 'self'));
      const auxv = Buffer.alloc(48);
      auxv.writeBigUInt64LE(3n, 0); // AT_PHDR
      auxv.writeBigUInt64LE(0x400040n, 8);
      auxv.writeBigUInt64LE(6n, 16); // AT_PAGESZ
      auxv.writeBigUInt64LE(16_384n, 24);
      writeFileSync(join(root, 'self/auxv'), auxv); // then AT_NULL
      expect(readPageSize(root)).toBe(16_384);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
