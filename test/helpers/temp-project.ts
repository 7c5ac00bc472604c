import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ServiceSpec } from '../../src/core/model.js';
import { isGone, pidsTagged } from './procs.js';

/** Absolute path of a fixture program. */
export const programs = resolve(import.meta.dirname, '../fixtures/programs');
export const program = (name: string): string => join(programs, name);

export interface TempProject {
  dir: string;
  /** Unique per test: every process spawned with it carries this tag, which is how cleanup finds leftovers. */
  projectId: string;
  /** Records a PID the test started (killed with its group at cleanup if still alive). */
  track(pid: number): number;
  /** A ServiceSpec with test defaults, logging to `<dir>/logs/<name>.log`. */
  spec(name: string, command: string | string[], over?: Partial<ServiceSpec>): ServiceSpec;
  /** SIGKILLs what the test started (tracked PIDs, their groups, processes with its tag) and removes the dir. */
  cleanup(): void;
}

export function tempProject(): TempProject {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-rt-'));
  const projectId = `test-${randomBytes(4).toString('hex')}`;
  const tracked = new Set<number>();
  return {
    dir,
    projectId,
    track(pid) {
      tracked.add(pid);
      return pid;
    },
    spec(name, command, over = {}) {
      return {
        name,
        command,
        port: null,
        groups: [],
        cwd: dir,
        env: {},
        envFiles: [],
        log: { path: join(dir, 'logs', `${name}.log`), maxSize: 10_000_000, keep: 3 },
        dependsOn: {},
        ready: { check: { kind: 'tcp' }, timeout: 10_000, interval: 50 },
        stopSignal: 'SIGTERM',
        stopTimeout: 5_000,
        restart: 'no',
        maxRestarts: 3,
        disabled: false,
        ...over,
      };
    },
    cleanup() {
      for (const pid of tracked) {
        if (isGone(pid)) continue;
        kill(-pid); // tracked PIDs are group leaders (detached spawns)
        kill(pid);
      }
      for (const pid of pidsTagged(projectId)) kill(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
