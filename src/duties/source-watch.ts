/**
 * `watch:` on a service: restart it (or signal it) when its sources change — a duty of
 * whoever holds the duties (the supervisor, or a foreground `uiprocs watch`), so it keeps
 * working after the terminal that ran `up` is gone. start-duties.ts loads it once a managed
 * service with `watch:` runs.
 *
 * Per watched service, its changes go through three states:
 *
 * ```
 *   quiet ──change──▶ settling ──debounce passes with no change──▶ acting ──done──▶ quiet
 *                     │  ▲ change: note the path, start the debounce again        │
 *                     └──┘                       a change while acting: settling again,
 *                                                acted on after this one is done ◀┘
 * ```
 *
 * - A burst (a `git checkout` touching 500 files, an editor's write-rename-chmod) is one
 *   action: the debounce (default 300 ms) restarts with every change. The cause names the
 *   first path and how many more: `changed: src/app.py (+499 more)`.
 * - The restart is the guarded one (guarded-restart.ts): under the lock, so a change while
 *   the service is still starting waits for that start; and only if the running process
 *   started before the change — one started after it already runs the new code.
 * - A signal action (`SIGHUP`: gunicorn reloads its workers) goes to the process group of
 *   the recorded process, after its identity is checked.
 * - Changes made while no one watched (between `up` and the watcher's first scan, or while
 *   the duties changed hands) are not lost: the first scan compares each file's mtime with
 *   the start of the running process and acts on what is newer.
 * - Out of inotify watches (ENOSPC): it says which limit and how to raise it, and watches
 *   that service by polling (every second) instead — never silently.
 */
import { readFileSync } from 'node:fs';
import { processKey } from '../core/identity.js';
import type { Desired, RunRecord, WatchSpec } from '../core/model.js';
import { type Scheduler, systemScheduler, type TimerId } from '../core/scheduler.js';
import type { System } from '../runtime/system.js';
import { judge } from '../state/observe.js';
import { readRecord } from '../state/store.js';
import type { Duty } from './duty.js';
import { type GuardedRestartDeps, guardedRestart } from './guarded-restart.js';
import { type TreeWatcher, watchTree } from './tree-watcher.js';
import { type WatchFilter, watchFilter } from './watch-filter.js';

export interface SourceWatchInput extends GuardedRestartDeps {
  managed: () => readonly string[];
  /** The running records as the last liveness tick saw them. */
  running: () => ReadonlyMap<string, RunRecord>;
  scheduler?: Scheduler;
  /** Wall-clock ms (records' startedAt and files' mtimes are wall-clock). */
  now?: () => number;
  /** Polling interval of the fallback, and of UIPROCS_WATCH_POLL=1. */
  pollMs?: number;
}

/** Paths kept per burst to count "how many more"; beyond it the count is a lower bound. */
const MAX_DISTINCT = 100_000;

interface Burst {
  first: string;
  paths: Set<string>;
  /** Wall-clock ms of the last change. */
  at: number;
}

/** One service's watcher and its state (see the diagram above). */
interface Watched {
  name: string;
  key: string;
  watcher?: TreeWatcher;
  filter: WatchFilter;
  /** `settling`: a burst is gathering, with its debounce timer. */
  burst?: Burst;
  timer?: TimerId;
  /** `acting`: the actions, one after another. */
  acting: Promise<void>;
  polling: boolean;
  closed: boolean;
  /** When a signal action last went to a process: a later first scan compares with it. */
  signalledAt: Map<string, number>;
}

export function startSourceWatch(input: SourceWatchInput): Duty {
  const scheduler = input.scheduler ?? systemScheduler();
  const now = input.now ?? Date.now;
  const pollMs = input.pollMs ?? 1000;
  const watched = new Map<string, Watched>();
  let stopped = false;

  const specKey = (desired: Desired, name: string): string | undefined => {
    const s = desired.services[name];
    return s?.watch === undefined ? undefined : JSON.stringify([s.cwd, s.watch]);
  };

  const noteChange = (w: Watched, abs: string) => {
    if (w.closed) return;
    const shown = w.filter.show(abs);
    if (w.burst === undefined) w.burst = { first: shown, paths: new Set([shown]), at: now() };
    else {
      if (w.burst.paths.size < MAX_DISTINCT) w.burst.paths.add(shown);
      w.burst.at = now();
    }
    if (w.timer !== undefined) scheduler.clearTimer(w.timer);
    const spec = input.desired().services[w.name]?.watch;
    w.timer = scheduler.setTimer(spec?.debounceMs ?? 300, () => settle(w));
  };

  const settle = (w: Watched) => {
    w.timer = undefined;
    const burst = w.burst;
    w.burst = undefined;
    if (burst === undefined || w.closed) return;
    w.acting = w.acting
      .then(() => act(w, burst))
      .catch((error: unknown) => input.say(`${w.name}: ${String(error)}`));
  };

  const act = async (w: Watched, burst: Burst) => {
    if (w.closed) return;
    const desired = input.desired();
    const spec = desired.services[w.name];
    if (spec?.watch === undefined) return;
    const more = burst.paths.size - 1;
    const cause = `changed: ${burst.first}${more > 0 ? ` (+${more} more)` : ''}`;
    const record = runningRecord(desired, w.name, input.system);
    if (record === undefined) return; // not running: its next start runs the new code anyway
    // A process started after the last change already runs the new code.
    if (Date.parse(record.startedAt) > burst.at) return;
    if (spec.watch.action === 'restart') {
      input.say(`${w.name}: ${cause}; restarting`);
      await guardedRestart({ name: w.name, key: processKey(record) }, cause, input);
      return;
    }
    const signal = spec.watch.action.signal;
    if (signalGroup(record, signal, input.system)) {
      w.signalledAt.set(processKey(record), now());
      input.say(`${w.name}: ${cause}; sent ${signal}`);
    }
  };

  const open = (name: string, key: string, spec: WatchSpec, desired: Desired, polling: boolean) => {
    const service = desired.services[name]!;
    const w: Watched = {
      name,
      key,
      filter: watchFilter(spec, service.cwd, desired.projectDir, [
        desired.stateDir,
        ...Object.values(desired.services).map((s) => s.log.path),
      ]),
      acting: Promise.resolve(),
      polling,
      closed: false,
      signalledAt: new Map(),
    };
    watched.set(name, w);
    const since = startOf(input.running().get(name));
    const made = watchTree(w.filter.roots, {
      skip: (abs, isDir) => w.filter.skip(abs, isDir),
      onChange: (abs) => noteChange(w, abs),
      since,
      ...(polling ? { pollMs } : {}),
      onError: (error) => {
        if (w.closed) return;
        if ((error.code === 'ENOSPC' || error.code === 'EMFILE') && !w.polling) {
          input.say(
            `${name}: ${outOfWatches(error.code)}; watching its files by polling every ${pollMs / 1000} s instead`,
          );
          queueMicrotask(() => void reopen(w, true));
        } else input.say(`${name}: watching its files: ${error.message}`);
      },
    });
    w.watcher = made;
    // After a fallback to polling (queued by onError) has had its turn: said once, by the watch that stays.
    queueMicrotask(() => {
      if (!w.closed && watched.get(name) === w)
        input.say(
          `${name}: watching ${spec.paths.join(', ')}${w.polling ? ' (polling)' : ''} for changes (${made.files} files)`,
        );
    });
  };

  const close = async (w: Watched) => {
    w.closed = true;
    if (w.timer !== undefined) scheduler.clearTimer(w.timer);
    if (watched.get(w.name) === w) watched.delete(w.name);
    w.watcher?.close();
  };

  const reopen = async (w: Watched, polling: boolean) => {
    await close(w);
    if (stopped) return;
    const desired = input.desired();
    const spec = desired.services[w.name]?.watch;
    if (spec !== undefined) open(w.name, w.key, spec, desired, polling);
  };

  const forcePolling = process.env.UIPROCS_WATCH_POLL === '1';
  return {
    sync() {
      if (stopped) return;
      const desired = input.desired();
      const running = input.running();
      const wanted = new Set(
        input.managed().filter((n) => running.has(n) && specKey(desired, n) !== undefined),
      );
      for (const w of [...watched.values()]) {
        if (!wanted.has(w.name) || specKey(desired, w.name) !== w.key) void close(w);
      }
      for (const name of wanted) {
        if (watched.has(name)) continue;
        const key = specKey(desired, name)!;
        try {
          open(name, key, desired.services[name]!.watch!, desired, forcePolling);
        } catch (error) {
          input.say(`${name}: cannot watch its files: ${String(error)}`);
        }
      }
    },
    async stop() {
      stopped = true;
      const all = [...watched.values()];
      await Promise.all(all.map((w) => close(w)));
      await Promise.all(all.map((w) => w.acting));
    },
  };
}

/** Wall-clock ms the process started, from its record. */
function startOf(record: RunRecord | undefined): number | undefined {
  if (record === undefined) return undefined;
  const ms = Date.parse(record.startedAt);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The service's record, when the process it names runs (checked by identity). */
function runningRecord(desired: Desired, name: string, system: System): RunRecord | undefined {
  const read = readRecord(desired.stateDir, name);
  if (!read.ok || read.value === undefined) return undefined;
  const seen = judge(read.value, system, system.bootId());
  return seen.status === 'running' ? seen.record : undefined;
}

/** Sends `signal` to the recorded group, only while its leader is the recorded process. */
function signalGroup(record: RunRecord, signal: NodeJS.Signals, system: System): boolean {
  const info = system.proc(record.pid);
  if (info === undefined || info.startTime !== record.startTime || info.pgid !== record.pgid) return false;
  try {
    process.kill(-record.pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Which limit ran out, and how to raise it. */
function outOfWatches(code: string): string {
  if (code === 'EMFILE')
    return 'out of inotify instances (fs.inotify.max_user_instances); raise it with sudo sysctl fs.inotify.max_user_instances=1024';
  // The machine's limit, and the user namespace's (a container's) when it is the smaller one.
  const machine = readNumber('/proc/sys/fs/inotify/max_user_watches');
  const namespace = readNumber('/proc/sys/user/max_inotify_watches');
  if (namespace !== undefined && (machine === undefined || namespace < machine))
    return `out of inotify watches (user.max_inotify_watches = ${namespace}, this user namespace's limit); raise it with sysctl user.max_inotify_watches=524288 where the namespace is made`;
  return `out of inotify watches (fs.inotify.max_user_watches${machine === undefined ? '' : ` = ${machine}`}); raise it with sudo sysctl fs.inotify.max_user_watches=524288`;
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
