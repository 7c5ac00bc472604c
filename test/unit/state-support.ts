/**
 * Shared by the state tests: a fake System, a clock whose sleep advances time at once,
 * records, temp dirs, and the state modules transpiled to plain JS so a child `node` (no
 * tsx here) can run the very code under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/core/clock.js';
import type { RunRecord } from '../../src/core/model.js';
import type { PortOwner, ProcInfo, System } from '../../src/runtime/system.js';
import { transpileForNode } from '../helpers/transpile.js';

export class FakeSystem implements System {
  readonly kind = 'linux' as const;
  boot = 'boot-a';
  readonly procs = new Map<number, ProcInfo>();
  procCalls = 0;

  constructor() {
    this.add(process.pid, 'self-start');
  }

  add(pid: number, startTime: string, state = 'S'): this {
    this.procs.set(pid, { pid, ppid: 1, pgid: pid, sid: pid, state, startTime });
    return this;
  }

  bootId(): string {
    return this.boot;
  }
  proc(pid: number): ProcInfo | undefined {
    this.procCalls++;
    return this.procs.get(pid);
  }
  pids(): number[] {
    return [...this.procs.keys()];
  }
  environ(): Record<string, string> | undefined {
    return undefined;
  }
  cmdline(): string | undefined {
    return undefined;
  }
  portOwners(): PortOwner[] {
    return [];
  }
}

/** Time passes only when someone sleeps; each sleep yields to the event loop once. */
export class FakeClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    return new Promise((r) => setImmediate(r));
  }
}

export function record(name: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    name,
    project: 'demo',
    pid: 4242,
    pgid: 4242,
    sid: 4242,
    startTime: '123456',
    bootId: 'boot-a',
    configHash: 'abc123',
    port: 8501,
    command: ['python', '-m', 'http.server'],
    cwd: '/tmp',
    logPath: '/tmp/x.log',
    startedAt: '2026-01-01T00:00:00.000Z',
    restarts: 0,
    ...overrides,
  };
}

const made: string[] = [];

export function tempDir(prefix = 'uiprocs-state-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * The state modules (and what they import) transpiled for a plain `node` child; returns
 * the absolute path of `src/state/` there. Removed with the other temp dirs.
 */
export function transpileStateForChild(): string {
  const { dir } = transpileForNode(['src/core', 'src/runtime', 'src/state']);
  made.push(dir);
  return join(dir, 'src/state');
}
