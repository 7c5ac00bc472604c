/**
 * Shared by the state tests: a fake System, a clock whose sleep advances time at once,
 * records, temp dirs, and the state modules transpiled to plain JS so a child `node` (no
 * tsx here) can run the very code under test.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import type { Clock } from '../../src/core/clock.js';
import type { RunRecord } from '../../src/core/model.js';
import type { PortOwner, ProcInfo, System } from '../../src/runtime/system.js';

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

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD_SOURCES = [
  'src/core/model.ts',
  'src/core/clock.ts',
  'src/runtime/system.ts',
  'src/runtime/linux-system.ts',
  'src/runtime/ps-system.ts',
  'src/state/paths.ts',
  'src/state/atomic-file.ts',
  'src/state/record-shape.ts',
  'src/state/store.ts',
  'src/state/lock.ts',
];

/**
 * Transpile the state modules (types erased, nothing else changed) into a temp dir; returns
 * the absolute path of `src/state/` there. transpileModule is per-file and fast (~ms).
 */
export function transpileStateForChild(): string {
  const out = tempDir('uiprocs-state-js-');
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  for (const rel of CHILD_SOURCES) {
    const source = readFileSync(join(ROOT, rel), 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    const target = join(out, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  return join(out, 'src/state');
}

/** Poll `check` until it is true (real time), failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
