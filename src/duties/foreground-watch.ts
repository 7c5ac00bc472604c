/**
 * `uiprocs watch`: converge once, then keep converging — on every save of the manifest or
 * an env file (ReconcileLoop) and on every death of a service (LivenessLoop) — until
 * Ctrl-C or SIGTERM. The loops (this folder) know nothing of manifests; this
 * file wires them to the same converge that `up` uses, so watch can never do anything
 * `up` would not.
 *
 * No save made after watch started is lost: the file watcher is armed before the first
 * converge reads the files (so that read sees any save made since watch first read the
 * manifest), and a save made while that converge runs is queued like any edit made during
 * a reconcile.
 *
 * Watch holds the state lock only while it converges, so `uiprocs down web` in another
 * terminal works, and its stop marker keeps watch from bringing web back.
 *
 * The manifest is the source of truth while watch runs: a service removed from it is
 * stopped (as `--remove-orphans` would, but only for services that left the manifest
 * while watch watched; orphans that predate watch are left running as `up` leaves them,
 * unless `--remove-orphans`). A deleted manifest is waited for, never read as "stop all".
 */

import { type Desired, type Failure, ok, type Result } from '../core/model.js';
import type { Renderer } from '../core/renderer.js';
import { type ConvergeReport, converge } from '../engine/converge.js';
import { afterConverge, giveBackDuties, takeDuties } from '../engine/ensure-supervisor.js';
import { loadProject, type ProjectInput } from '../engine/project.js';
import { manifestFiles } from '../manifest/override.js';
import type { System } from '../runtime/system.js';
import { holderIsMe } from '../state/holder-record.js';
import type { DutyLoader } from './duty.js';
import { type FileWatcher, watchFiles } from './file-watcher.js';
import { pausedDuring } from './liveness-loop.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { startDuties } from './start-duties.js';

export interface WatchOptions {
  targets: string[];
  removeOrphans?: boolean;
  downOnExit?: boolean;
  intervalMs?: number;
  debounceMs?: number;
  /** Delay before the first restart of a crash streak (default 1 s); a test/ops knob. */
  backoffBaseMs?: number;
  /**
   * Test seam: runs after watch first read the manifest and before it arms the file
   * watcher, the window in which a save is lost unless something reads the files again
   * once the watcher is armed (a test saves the manifest here).
   */
  beforeArm?: () => Promise<void>;
}

export interface WatchIO {
  input: ProjectInput;
  system: System;
  renderer: () => Promise<Renderer>;
  say: (line: string) => void;
  sayFailure: (failure: Failure) => Promise<void>;
  /** The first converge's result (what runs, its URLs): stdout, as `up` prints it. */
  result?: (desired: Desired, report: ConvergeReport, targets: string[]) => void;
  /** Resolves when watch should end; `force` fires on a second request (forces the stops). */
  untilStopped: () => { done: Promise<void>; force: AbortSignal };
  /** The manifest's dashboard, served while this watch holds the duties (dashboard/duty.ts). */
  dashboard?: DutyLoader;
}

export async function runWatch(io: WatchIO, options: WatchOptions): Promise<Result<number>> {
  const first = await loadProject(io.input, options.targets);
  if (!first.ok) return first;
  let desired = first.value.desired;
  let targets = first.value.targets;
  const manifestPath = desired.manifestPath;

  // Watch holds the duties while it runs: the supervisor, if one runs, leaves (ensure.ts).
  const took = await takeDuties(desired, { system: io.system });
  if (!took.ok) return took;
  const me = took.value;

  /** Services removed from the manifest while watch ran: reconciles stop them. */
  const left = new Set<string>();

  const up = async (names: string[], guard?: () => Promise<boolean>, cause?: string) => {
    const renderer = await io.renderer();
    const result = await converge(
      desired,
      {
        command: 'up',
        targets: names,
        removeOrphans: options.removeOrphans,
        removeNames: [...left],
        guard,
        // A guarded start is a liveness restart: counted in the record it writes.
        countRestarts: guard ? names : undefined,
        restartCause: cause,
        // Watch's own converges keep the supervisor in step (it finds watch holding the
        // duties, and leaves them to it); a restart needs no such step.
        duties: guard ? undefined : { after: afterConverge({ system: io.system, env: io.input.env }) },
      },
      { system: io.system, env: io.input.env },
      // The renderer prints each action as it begins (as `up` does), not the plan ahead of it.
      renderer,
    );
    await renderer.end();
    if (!result.ok) await io.sayFailure(result.error);
    return result;
  };

  const managed = () => (targets.length > 0 ? targets : Object.keys(desired.services));
  const duties = startDuties({
    system: io.system,
    command: 'uiprocs watch',
    desired: () => desired,
    managed,
    startAgain: (name, guard, cause) => up([name], guard, cause),
    // A newer watch (its record replaced ours) holds the duties; so does nobody else while
    // ours is live: the supervisor's guard yields to it.
    holdsDuties: () => me === undefined || holderIsMe(desired.stateDir, me),
    say: io.say,
    intervalMs: options.intervalMs,
    traceTicks: io.input.env.UIPROCS_TRACE_TICKS === '1',
    healthEnv: io.input.env,
    renderer: io.renderer,
    dashboard: io.dashboard,
    backoff: options.backoffBaseMs === undefined ? undefined : { initialDelayMs: options.backoffBaseMs },
  });
  const liveness = duties.liveness;
  let watcher: FileWatcher | undefined;
  /**
   * Reads the manifest (and env files) as they are now and converges to them; an invalid
   * file changes nothing. The first converge and every reconcile go through here.
   */
  const apply = async (): Promise<Result<ConvergeReport> | undefined> => {
    const next = await loadProject(io.input, options.targets);
    if (!next.ok) {
      await io.sayFailure(next.error);
      io.say('nothing was changed; fix the file and save again');
      return undefined;
    }
    for (const name of Object.keys(desired.services)) {
      if (next.value.desired.services[name] === undefined) left.add(name);
    }
    for (const name of Object.keys(next.value.desired.services)) left.delete(name);
    desired = next.value.desired;
    targets = next.value.targets;
    const result = await up(targets);
    watcher?.update(manifestFiles(desired));
    return result;
  };

  const loop = new ReconcileLoop(
    pausedDuring(liveness, async (cause) => {
      io.say(`${cause.paths.join(', ')} changed; reconciling`);
      const result = await apply();
      if (result?.ok && result.value.plan.actions.length === 0) io.say('nothing to do');
    }),
    { debounceMs: options.debounceMs },
  );
  // The first converge is the loop's first reconcile, and the file watcher is armed before
  // it reads the files: a save made since the first read above is in what it reads, and one
  // made while it runs (seconds, for a slow server) is queued and reconciled after it.
  await loop.runNow(async () => {
    await options.beforeArm?.();
    watcher = await watchFiles(manifestFiles(desired), loop.changed, {
      onRemove: (path) => {
        if (path === manifestPath)
          io.say(`${path} was deleted; waiting for it to come back (services keep running)`);
        else loop.changed(path);
      },
    });
    const result = await apply();
    if (result?.ok) io.result?.(desired, result.value, targets);
  });
  // Liveness, and the health checks when a service has a healthcheck (duties/start-duties.ts).
  duties.start();
  // Ctrl-C is heard before "watching" is announced: whoever reacts to that line (a person,
  // a script, a test) must find the handler in place, not the default that kills at once.
  const { done, force } = io.untilStopped();
  io.say(
    `watching ${manifestPath} (Ctrl-C leaves the services running${options.downOnExit ? '; --down-on-exit stops them' : ''})`,
  );
  await done;
  await watcher?.close();
  await loop.stop();
  await duties.stop();
  // Give the duties back: a supervisor takes them if something still needs one.
  if (me !== undefined)
    await giveBackDuties(desired, me, { system: io.system, env: io.input.env, ensure: !options.downOnExit });
  if (!options.downOnExit) return ok(0);
  io.say('stopping the services (Ctrl-C again to force)');
  const down = await converge(
    desired,
    { command: 'down', targets, force },
    { system: io.system, env: io.input.env },
  );
  if (!down.ok) return down;
  return ok(0);
}
