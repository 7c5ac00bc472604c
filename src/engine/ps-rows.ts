/**
 * The rows of `ps`, gathered in one place so `ps --json` and the dashboard's
 * `GET /api/services` cannot disagree: observe the records (repairing only a private state
 * dir), record a death nobody recorded yet, find processes that carry a service's tag
 * without a record, measure usage, and say which rows a supervisor keeps alive.
 *
 * It prints nothing: warnings come back as values, and the caller says them. Its lazy
 * imports stay lazy (the exit notes only when a stale record lacks its exit), so `ps`
 * pays nothing for the dashboard sharing it.
 */
import { existsSync } from 'node:fs';
import { exitStatus } from '../core/exit.js';
import { projectIdOf } from '../core/identity.js';
import type { Desired, Observed } from '../core/model.js';
import { type ProcessSnapshot, taggedIn } from '../runtime/service-processes.js';
import { listeningAmong, type System } from '../runtime/system.js';
import { usageSnapshot } from '../runtime/usage.js';
import { hasUnrecordedExit, observe } from '../state/observe.js';
import { checkPrivateDir } from '../state/paths.js';
import { type StatusRow, statusRows } from './status.js';
import { type SupervisionView, supervisionView } from './supervision-line.js';
import { measureUsage } from './usage.js';

export interface PsRows {
  rows: StatusRow[];
  /** The line `ps` prints under its table (who keeps services alive), if any. */
  supervisionLine: string | undefined;
  /** A state dir others could write to: shown anyway, without repairs. */
  untrustedWarning: string | undefined;
  /** What observing met (torn records…), one line each. */
  warnings: string[];
}

export async function gatherPsRows(
  desired: Desired,
  targets: string[],
  system: System,
  env: Record<string, string | undefined>,
  /** Do not wait for a second CPU sample when none is stored (UsageOptions.waitForBase). */
  options: {
    waitForCpu?: boolean;
    /** false: no CPU or memory (null in the rows) and no CPU sample written: `dashboard --all`'s list. */
    usage?: boolean;
  } = {},
): Promise<PsRows> {
  // ps changes nothing, so a state dir others could write to is still shown — with a
  // warning, and without the repairs (removals) observe would otherwise make in it.
  const exists = existsSync(desired.stateDir);
  const trusted = exists ? checkPrivateDir(desired.stateDir) : undefined;
  const untrustedWarning =
    trusted !== undefined && !trusted.ok && 'message' in trusted.error ? trusted.error.message : undefined;
  let observed = exists
    ? observe(desired.stateDir, system, { repair: trusted?.ok === true })
    : { services: {}, warnings: [] };
  // A death nobody recorded yet is recorded now, once ("code unknown", found gone now),
  // so every later ps shows the same finished_at; see state/exits.ts.
  if (trusted?.ok === true && hasUnrecordedExit(observed)) {
    const { noteExits } = await import('../state/exits.js');
    observed = await noteExits(desired.stateDir, observed, { system, command: 'uiprocs ps' });
  }
  const running = Object.values(observed.services).flatMap((o) => (o.status === 'running' ? [o.record] : []));
  const projectId = projectIdOf(desired, observed);
  // One sweep of the process table and the tags serves both the untracked search and usage.
  let snapshot: ProcessSnapshot | undefined;
  const sweep = () => {
    snapshot ??= usageSnapshot(system, projectId, running);
    return snapshot;
  };
  const untracked = untrackedProcesses(desired, observed, sweep);
  // Usage only where something runs; the samples it keeps go to a trusted state dir only.
  const usage =
    running.length === 0 || options.usage === false
      ? undefined
      : await measureUsage(system, projectId, running, {
          snapshot: sweep(),
          ...(trusted?.ok === true ? { stateDir: desired.stateDir } : {}),
          ...(options.waitForCpu === false ? { waitForBase: false } : {}),
        });
  const rows = await statusRows(desired, observed, system, targets, Date.now(), untracked, usage, env);
  const alive = (r: StatusRow) => r.status === 'running' || r.status === 'starting';
  const ended = Object.values(observed.services).flatMap((o) => (o.status === 'stale' ? [o.record] : []));
  const view = exists ? supervisionView(desired, running, system, Date.now(), ended) : undefined;
  for (const r of rows) {
    r.supervised = view?.supervised(r.name, alive(r)) ?? false;
    mainProcessEnded(r, observed, untracked.get(r.name) ?? [], view);
  }
  if (!desired.recordsOnly) await notePortClashes(desired, rows, system, env, projectId);
  return { rows, supervisionLine: view?.line, untrustedWarning, warnings: observed.warnings };
}

/**
 * A service that does not run while another process holds its fixed port would fail to
 * start: its row says who holds it (`port 8501 is held by service inference of project
 * ocr-ui (~/src/ocr, pid 1234)`), so `ps` and the dashboard answer "which project has my
 * port". One read of the socket table, and only when such a service exists.
 */
async function notePortClashes(
  desired: Desired,
  rows: StatusRow[],
  system: System,
  env: Record<string, string | undefined>,
  projectId: string,
): Promise<void> {
  const idle = rows.filter(
    (r) => r.status !== 'running' && r.status !== 'starting' && r.status !== 'restarting',
  );
  const fixed = idle.flatMap((r) => {
    const port = desired.services[r.name]?.port;
    return typeof port === 'number' ? [{ row: r, port }] : [];
  });
  if (fixed.length === 0) return;
  const open = listeningAmong(
    system,
    fixed.map((f) => f.port),
  );
  const held = fixed.filter((f) => open === undefined || open.has(f.port));
  if (held.length === 0) return;
  const { describeHolders } = await import('./port-holders.js');
  for (const { row, port } of held) {
    const foreign = system
      .portOwners(port)
      .filter((o) => system.environ(o.pid)?.UIPROCS_PROJECT !== projectId);
    if (foreign.length === 0) continue;
    const clash = describeHolders(port, foreign, system, env);
    row.note = row.note === null ? clash : `${row.note}; ${clash}`;
  }
}

/**
 * A service whose recorded main process ended is dead, whatever is left of it: gunicorn's
 * workers keep serving for a while after its master is kill -9'd, and they are not a
 * service that runs (nor `untracked`: its record says whose they are). So the row says
 * `restarting` when a live holder of the duties is about to stop what is left and start it
 * again (its policy restarts such an end), else `exited` with how it ended and which of its
 * processes are left for `up` or `down` to stop.
 */
function mainProcessEnded(
  r: StatusRow,
  observed: Observed,
  left: readonly number[],
  view: SupervisionView | undefined,
): void {
  const o = observed.services[r.name];
  if (o?.status !== 'stale' || (r.status !== 'untracked' && r.status !== 'exited')) return;
  const exit = o.record.exit;
  const leftovers = left.length === 0 ? '' : `; what is left of it (pid ${left.join(', ')}) is stopped first`;
  if (view?.restarts(r.name, exit)) {
    r.status = 'restarting';
    r.pid = null;
    r.note = `its main process ${o.record.pid} ended (${exitStatus({ code: exit?.code ?? null, signal: exit?.signal ?? null })}); the ${view.holder ?? 'supervisor'} starts it again${leftovers}`;
    return;
  }
  if (r.status !== 'untracked') return;
  r.status = 'exited';
  r.pid = null;
  r.exit_code = exit?.code ?? null;
  r.exit_signal = exit?.signal ?? null;
  r.finished_at = exit?.finishedAt ?? null;
  r.note = `its main process ${o.record.pid} ended; pid ${left.join(', ')} still run${left.length === 1 ? 's' : ''} with its tag: \`uiprocs up\` or \`uiprocs down ${r.name}\` stops ${left.length === 1 ? 'it' : 'them'}`;
}

/**
 * Processes that carry the project's tag for a service no running record describes, from
 * one sweep (members of running records' groups are theirs and are not read; the same
 * sweep serves usage). Only when some service of the manifest is not running: that is
 * where `stopped` could be a lie. From the records alone, every service could be one of them.
 */
function untrackedProcesses(
  desired: Desired,
  observed: Observed,
  sweep: () => ProcessSnapshot,
): Map<string, number[]> {
  const untracked = new Map<string, number[]>();
  const isRunning = (name: string) => observed.services[name]?.status === 'running';
  if (!desired.recordsOnly && Object.keys(desired.services).every(isRunning)) return untracked;
  for (const [name, procs] of taggedIn(sweep())) {
    if (!isRunning(name))
      untracked.set(
        name,
        procs.map((p) => p.pid).sort((a, b) => a - b),
      );
  }
  return untracked;
}
