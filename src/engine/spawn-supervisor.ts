/**
 * Starting and stopping the detached supervisor process.
 *
 * It is the same CLI, run with a hidden command (`uiprocs __supervise --state-dir <dir>`):
 * `process.execPath` and the script this CLI runs from (`process.argv[1]`, bin/uiprocs.js),
 * so it is the very uiprocs that spawned it. Detached like a service (spawn.ts): `setsid`,
 * so it leads its own session with no controlling terminal — closing the terminal, the
 * `make` or shell that ran `up` exiting, or `kill -9` of the `up` CLI does not reach it —
 * stdin /dev/null, stdout and stderr appended to `<state_dir>/logs/supervisor.log`. It
 * inherits the caller's environment (the base of the services it restarts, and the knobs
 * UIPROCS_WATCH_INTERVAL_MS / UIPROCS_BACKOFF_BASE_MS).
 *
 * V8 flags keep an idle Node small: `--max-semi-space-size=1` (MB) keeps the young
 * generation small, and `--lite-mode` runs only V8's interpreter — no optimising compiler,
 * no feedback for it — which took ~4.5 MB off the supervisor's RSS (50 → 45.5 MB with one
 * service here); a tick is a few syscalls, nothing a JIT would speed up (`--no-expose-wasm`
 * says what lite mode implies, or V8 warns about it in the log on every start). Measured in
 * bench/run.mjs (supervisor) and docs/DESIGN.md.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { fail, ok, type Result } from '../core/model.js';
import { readBack } from '../runtime/spawn.js';
import { isLive, type System } from '../runtime/system.js';
import type { HolderRecord } from '../state/holder-record.js';
import { statePaths } from '../state/paths.js';

export const SUPERVISE_COMMAND = '__supervise';
export const NODE_FLAGS = ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm'];

export function supervisorLogPath(stateDir: string): string {
  return `${statePaths(stateDir).logs}/supervisor.log`;
}

/** Spawn a supervisor for `stateDir`; returns its record (the caller writes it, under the lock). */
export async function spawnSupervisor(
  stateDir: string,
  deps: { system: System; clock: Clock; env: Record<string, string | undefined>; script?: string },
): Promise<Result<HolderRecord>> {
  const script = deps.script ?? process.argv[1];
  if (script === undefined) return fail({ reason: 'io', message: 'cannot tell which script runs uiprocs' });
  let logFd: number;
  const logPath = supervisorLogPath(stateDir);
  try {
    mkdirSync(statePaths(stateDir).logs, { recursive: true, mode: 0o700 });
    logFd = openSync(logPath, 'a', 0o600);
  } catch (error) {
    return fail({ reason: 'io', message: `cannot open ${logPath}: ${(error as Error).message}` });
  }
  let pid: number | undefined;
  try {
    const child = spawn(
      process.execPath,
      [...NODE_FLAGS, script, SUPERVISE_COMMAND, '--state-dir', stateDir],
      {
        cwd: stateDir,
        env: deps.env as NodeJS.ProcessEnv,
        detached: true,
        stdio: ['ignore', logFd, logFd],
      },
    );
    pid = child.pid;
    child.once('error', () => {});
    child.unref();
  } catch (error) {
    return fail({ reason: 'io', message: `cannot start the supervisor: ${(error as Error).message}` });
  } finally {
    closeSync(logFd);
  }
  if (pid === undefined) return fail({ reason: 'io', message: 'cannot start the supervisor: no pid' });
  const identity = await readBack(deps.system, deps.clock, pid);
  if (identity === undefined)
    return fail({ reason: 'io', message: `the supervisor (pid ${pid}) exited at once; see ${logPath}` });
  return ok({
    version: 1,
    kind: 'supervisor',
    pid,
    startTime: identity.startTime,
    bootId: deps.system.bootId(),
    startedAt: new Date().toISOString(),
  });
}

/**
 * SIGTERM to a holder whose identity was just checked, then wait until it is gone (a
 * zombie counts as gone); SIGKILL after `timeoutMs`. Returns whether it is gone.
 */
export async function stopHolderProcess(
  record: HolderRecord,
  deps: { system: System; clock: Clock; timeoutMs?: number },
): Promise<boolean> {
  const alive = () => {
    const info = deps.system.proc(record.pid);
    return isLive(info) && info.startTime === record.startTime;
  };
  if (!alive()) return true;
  try {
    process.kill(record.pid, 'SIGTERM');
  } catch {
    return true;
  }
  const deadline = deps.clock.now() + (deps.timeoutMs ?? 5_000);
  while (deps.clock.now() < deadline) {
    if (!alive()) return true;
    await deps.clock.sleep(10);
  }
  if (alive()) {
    try {
      process.kill(record.pid, 'SIGKILL');
    } catch {
      return true;
    }
    for (let i = 0; i < 100 && alive(); i++) await deps.clock.sleep(10);
  }
  return !alive();
}
