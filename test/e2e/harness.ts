/**
 * Drives the built CLI (`node bin/uiprocs.js`, as users run it) in a temp project. Every
 * process a test's services start carries the project's tag, so cleanup finds exactly
 * those by PID — never by name, never a stranger.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect } from 'vitest';
import { projectId } from '../../src/core/identity.js';
import type { RunRecord } from '../../src/core/model.js';
import type { StatusRow } from '../../src/engine/status.js';
import { isGone, pidsTagged } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

export const root = resolve(import.meta.dirname, '../..');
/**
 * UIPROCS_E2E_BIN runs a snapshot of the CLI instead of this checkout's: a long soak then
 * survives other people rebuilding dist/ under it.
 */
export const bin = process.env.UIPROCS_E2E_BIN ?? join(root, 'bin/uiprocs.js');
export const programs = join(root, 'test/fixtures/programs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface E2eProject {
  dir: string;
  project: string;
  stateDir: string;
  id: string;
  write(manifest: string): void;
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** `run` that expects exit 0, and on failure shows the CLI's stderr (what a CI log needs). */
  ok(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Starts the CLI without waiting (for watch, or to kill it half-way). */
  start(args: string[], env?: Record<string, string>): ReturnType<typeof spawn>;
  record(name: string): RunRecord | undefined;
  tagged(): number[];
  cleanup(): Promise<void>;
}

export interface E2eOptions {
  /** The command that runs uiprocs, before its arguments; default `node bin/uiprocs.js` of this checkout. */
  cli?: string[];
  /** XDG_STATE_HOME (where the project registry is) shared with other projects; default its own. */
  stateHome?: string;
}

export function e2eProject(
  name = `e2e${Math.random().toString(36).slice(2, 8)}`,
  options: E2eOptions = {},
): E2eProject {
  const [command = process.execPath, ...before] = options.cli ?? [process.execPath, bin];
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-e2e-'));
  const stateDir = join(dir, '.uiprocs');
  const id = projectId(name, stateDir);
  const baseEnv = {
    ...process.env,
    XDG_CACHE_HOME: join(dir, '.cache'),
    // Its own project registry (state/registry.ts), unless a test shares one between projects.
    XDG_STATE_HOME: options.stateHome ?? join(dir, '.state'),
    UIPROCS_PLAIN: '1',
    NO_COLOR: '1',
    CI: 'true',
  } as Record<string, string>;
  delete baseEnv.FORCE_COLOR;
  /** CLIs started in the background (watch…): stopped first at cleanup, or they would start services again. */
  const clis = new Set<ReturnType<typeof spawn>>();
  return {
    dir,
    project: name,
    stateDir,
    id,
    write(manifest) {
      writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: ${name}\n${manifest}`);
    },
    run(args, env = {}) {
      return new Promise((resolveRun) => {
        execFile(
          command,
          [...before, ...args],
          { cwd: dir, env: { ...baseEnv, ...env }, timeout: 60_000 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolveRun({ code, stdout, stderr });
          },
        );
      });
    },
    async ok(args, env = {}) {
      const result = await this.run(args, env);
      expect(result.code, `uiprocs ${args.join(' ')}\n${result.stderr}`).toBe(0);
      return result;
    },
    start(args, env = {}) {
      const child = spawn(command, [...before, ...args], {
        cwd: dir,
        env: { ...baseEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      clis.add(child);
      child.once('exit', () => clis.delete(child));
      return child;
    },
    record(service) {
      // Read, not exists-then-read: a recreate removes the record between the two, and a
      // test polling for the new PID must see "no record yet", not ENOENT.
      try {
        return JSON.parse(readFileSync(join(stateDir, 'run', `${service}.json`), 'utf8')) as RunRecord;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    tagged: () => pidsTagged(id),
    async cleanup() {
      await Promise.all(
        [...clis].map(
          (child) =>
            new Promise<void>((resolveExit) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
              child.once('exit', () => resolveExit());
              child.kill('SIGKILL');
            }),
        ),
      );
      // The supervisor, if an `up` started one: by the PID its record names, and only while
      // that PID is still the recorded process (it does not carry the service tag).
      killSupervisor(stateDir);
      // Then every process carrying this test's tag, until none is left (a dying CLI may
      // have spawned one more on its way out).
      for (let round = 0; round < 5; round++) {
        const left = pidsTagged(id);
        if (left.length === 0) break;
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The supervisor's record (`run/.supervisor.json`), if there is one. */
export function supervisorRecord(stateDir: string): { pid: number; startTime: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'run', '.supervisor.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The supervisor's log (`logs/supervisor.log`), or '' before it has one. */
export function supervisorLog(p: { stateDir: string }): string {
  try {
    return readFileSync(join(p.stateDir, 'logs', 'supervisor.log'), 'utf8');
  } catch {
    return '';
  }
}

/** The PID of `p`'s live supervisor, from its record (PID and start time still match), once there is one. */
export async function liveSupervisor(p: { stateDir: string }, what = 'a supervisor'): Promise<number> {
  return waitFor(
    () => {
      const r = supervisorRecord(p.stateDir);
      return r && startTimeOf(r.pid) === r.startTime && !isGone(r.pid) ? r.pid : undefined;
    },
    { timeout: 10_000, what },
  );
}

/** Field 22 of /proc/<pid>/stat, or undefined when the process is gone. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** SIGKILL the recorded supervisor when its PID is still that process. */
export function killSupervisor(stateDir: string): void {
  const record = supervisorRecord(stateDir);
  if (record === undefined || startTimeOf(record.pid) !== record.startTime) return;
  try {
    process.kill(record.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** `uiprocs ps --json [args]`, expected to exit 0, parsed. */
export async function psRows(p: E2eProject, ...args: string[]): Promise<StatusRow[]> {
  const r = await p.run(['ps', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusRow[];
}

/**
 * For a test file with one project per test: returns `track`, which remembers the test's
 * project, and registers the afterEach that cleans it up.
 */
export function trackProjects(): (p: E2eProject) => E2eProject {
  let project: E2eProject | undefined;
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
  });
  return (p) => {
    project = p;
    return p;
  };
}

/** Like trackProjects, for a test that makes several projects: every one is cleaned up after it. */
export function trackEveryProject(): (p: E2eProject) => E2eProject {
  const projects: E2eProject[] = [];
  afterEach(async () => {
    await Promise.all(projects.splice(0).map((p) => p.cleanup()));
  });
  return (p) => {
    projects.push(p);
    return p;
  };
}

/** Whether something accepts a TCP connection on the loopback port right now. */
export function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export { isGone };

/**
 * Waits until `text()` (a watch's stderr, the supervisor's log) shows `n` more `tick N` lines
 * than it does now (UIPROCS_TRACE_TICKS=1): n liveness ticks, each a look at what runs and a
 * chance to act, passed. What a test waits for to show that nothing happened, not a sleep.
 */
export async function ticksPass(text: () => string, n: number, what: string): Promise<void> {
  const count = () => (text().match(/\btick \d+$/gm) ?? []).length;
  const from = count();
  await waitFor(() => count() >= from + n, { timeout: 30_000, what: `${n} more ticks of ${what}` });
}
