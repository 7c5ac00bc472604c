/**
 * `uiprocs watch` end to end: the built CLI in the foreground, real servers on free
 * loopback ports, the manifest edited on disk as a user would. Each test reads watch's
 * stderr as it streams, ends watch with a signal, checks it exits 0 and leaves the
 * services running (or stops them with --down-on-exit), then `down`s.
 */
import type { ChildProcess } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { answers, type E2eProject, e2eProject, isGone, programs, ticksPass } from './harness.js';

const serve = join(programs, 'serve.mjs');
const exitWith = join(programs, 'exit-with.mjs');
const slowServe = join(programs, 'slow-serve.mjs');

/** Fast liveness and backoff, so crash tests take seconds, not minutes. */
const FAST = { UIPROCS_WATCH_INTERVAL_MS: '200', UIPROCS_BACKOFF_BASE_MS: '200' };
/** FAST, and watch says `tick N` after each liveness tick: what "nothing happened" waits for. */
const TRACED = { ...FAST, UIPROCS_TRACE_TICKS: '1' };

async function ps(p: E2eProject, ...args: string[]): Promise<StatusRow[]> {
  const r = await p.run(['ps', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusRow[];
}

/** A running `uiprocs watch`, its stderr collected as it streams. */
interface Watch {
  child: ChildProcess;
  /** Everything printed to stderr so far. */
  err(): string;
  /** Waits until stderr, after offset `from`, matches `pattern`; returns the offset past the match. */
  saw(pattern: RegExp | string, opts?: { from?: number; timeout?: number }): Promise<number>;
  /** Sends `signal`, resolves with the exit code. */
  end(signal?: NodeJS.Signals): Promise<number | null>;
}

let project: E2eProject | undefined;
let watching: Watch | undefined;

function startWatch(p: E2eProject, args: string[] = [], env: Record<string, string> = {}): Watch {
  const child = p.start(['watch', ...args], env);
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const w: Watch = {
    child,
    err: () => err,
    async saw(pattern, opts = {}) {
      const from = opts.from ?? 0;
      /** Offset just past the first match after `from`, or -1. */
      const find = (): number => {
        const rest = err.slice(from);
        if (typeof pattern === 'string') {
          const i = rest.indexOf(pattern);
          return i < 0 ? -1 : from + i + pattern.length;
        }
        const m = pattern.exec(rest);
        return m ? from + m.index + m[0].length : -1;
      };
      await waitFor(() => find() >= 0 || child.exitCode !== null, {
        timeout: opts.timeout ?? 15_000,
        what: `watch to print ${pattern}; it printed:\n${err.slice(from)}\nstdout:\n${out}`,
      });
      const at = find();
      if (at < 0) throw new Error(`watch exited (${child.exitCode}) early:\n${err}`);
      return at;
    },
    async end(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  watching = w;
  return w;
}

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail' && watching) console.error(`watch printed:\n${watching.err()}`);
  await watching?.end('SIGKILL');
  watching = undefined;
  await project?.cleanup();
  project = undefined;
});

const track = (p: E2eProject): E2eProject => {
  project = p;
  return p;
};

const pidOf = (p: E2eProject, name: string) => p.record(name)?.pid;
const serviceLine = (name: string, port: number, extra = '') =>
  `  ${name}: { command: node ${serve} ${port} 127.0.0.1, port: ${port}${extra} }\n`;

/** How many lines of `text` match `pattern` (a line-anchored count of printed actions). */
const linesMatching = (text: string, pattern: RegExp) =>
  text.split('\n').filter((line) => pattern.test(line)).length;

/** Ends watch with `signal`, expects exit 0 and every listed port still answering. */
async function endLeavingRunning(w: Watch, ports: number[], signal: NodeJS.Signals = 'SIGINT') {
  expect(await w.end(signal), w.err()).toBe(0);
  for (const port of ports) expect(await answers(port), `port ${port} after watch ended`).toBe(true);
}

describe('uiprocs watch: manifest edits', () => {
  it('starts an added service, recreates only the changed one, stops a removed one', async () => {
    const p = track(e2eProject());
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    p.write(`services:\n${serviceLine('a', a)}${serviceLine('b', b)}`);
    const w = startWatch(p);
    let at = await w.saw('watching');
    expect(await answers(a)).toBe(true);
    expect(await answers(b)).toBe(true);

    // Added → its port opens; the others are untouched.
    const before = { a: pidOf(p, 'a'), b: pidOf(p, 'b') };
    p.write(`services:\n${serviceLine('a', a)}${serviceLine('b', b)}${serviceLine('c', c)}`);
    await waitFor(() => answers(c), { timeout: 10_000, what: 'added service c to answer' });
    const addedAt = at;
    at = await w.saw(/c\s+ready in/, { from: at });
    // Each action is printed once, as `up` prints it (not also as a plan line before it).
    expect(linesMatching(w.err().slice(addedAt, at), /not running/)).toBe(1);
    expect({ a: pidOf(p, 'a'), b: pidOf(p, 'b') }).toEqual(before);

    // Changed command → only that service's PID changes. Saved as vim and `sed -i` do:
    // a new file renamed over the old one.
    const cBefore = pidOf(p, 'c')!;
    const tmp = join(p.dir, '.ui-procs.yaml.swp');
    writeFileSync(
      tmp,
      `version: 1\nproject: ${p.project}\nservices:\n${serviceLine('a', a)}  b: { command: node ${serve} ${b}, port: ${b} }\n${serviceLine('c', c)}`,
    );
    renameSync(tmp, join(p.dir, 'ui-procs.yaml'));
    const changedAt = at;
    at = await w.saw(/b\s+recreate: config changed: command/, { from: at });
    await waitFor(() => pidOf(p, 'b') !== undefined && pidOf(p, 'b') !== before.b, {
      what: 'b recreated',
    });
    await waitFor(() => answers(b), { what: 'b to answer again' });
    at = await w.saw(/b\s+ready in/, { from: at });
    expect(linesMatching(w.err().slice(changedAt, at), /config changed: command/)).toBe(1);
    expect(isGone(before.b!)).toBe(true);
    expect(pidOf(p, 'a')).toBe(before.a);
    expect(pidOf(p, 'c')).toBe(cBefore);

    // Removed → it stops: watch treats the manifest as the truth (remove-orphans for
    // services that leave it while watch runs).
    p.write(`services:\n${serviceLine('a', a)}  b: { command: node ${serve} ${b}, port: ${b} }\n`);
    const removedAt = at;
    at = await w.saw(/c\s+stop: removed from manifest/, { from: at });
    at = await w.saw(/c\s+stopped in/, { from: at });
    expect(linesMatching(w.err().slice(removedAt, at), /removed from manifest/)).toBe(1);
    expect(isGone(cBefore)).toBe(true);
    await waitFor(async () => !(await answers(c)), { what: 'c port closed' });
    expect(p.record('c')).toBeUndefined();
    expect(pidOf(p, 'a')).toBe(before.a);

    await endLeavingRunning(w, [a, b]);
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });

  it('applies a save made while the first converge waits for a slow service', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    // a opens its port 3 s after it starts: a Streamlit or Jupyter taking its time.
    const slow = `  a: { command: node ${slowServe} 3000 ${a}, port: ${a} }\n`;
    p.write(`services:\n${slow}`);
    const w = startWatch(p);
    await w.saw(/a\s+started pid/);
    p.write(`services:\n${slow}${serviceLine('b', b)}`);
    // The save fell inside the first converge: a is not ready, watch is not "watching" yet.
    expect(w.err()).not.toMatch(/a\s+ready in|watching/);
    expect(await answers(a)).toBe(false);

    const at = await w.saw('watching', { timeout: 20_000 });
    await waitFor(() => answers(b), {
      timeout: 15_000,
      what: 'b, saved during the first converge, to answer',
    });
    await w.saw(/b\s+ready in/);
    const aPid = pidOf(p, 'a');
    expect(aPid).toBeDefined();
    expect(w.err().slice(at)).not.toMatch(/\ba\s+(start|recreate|stop):/);

    await endLeavingRunning(w, [a, b]);
    expect(pidOf(p, 'a')).toBe(aPid);
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });

  it('reports a broken or invalid manifest at its line and column and changes nothing', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    const good = `services:\n${serviceLine('a', a)}${serviceLine('b', b)}`;
    p.write(good);
    const w = startWatch(p);
    let at = await w.saw('watching');
    const pids = p.tagged().sort();
    expect(pids).toHaveLength(2);

    // YAML syntax error: the located error, nothing changed, watch still there.
    p.write(`services:\n${serviceLine('a', a)}  b: { command: node ${serve} ${b}, port: ${b}\n`);
    at = await w.saw(/ui-procs\.yaml:\d+:\d+/, { from: at });
    at = await w.saw('nothing was changed', { from: at });
    expect(w.child.exitCode).toBeNull();
    expect(p.tagged().sort()).toEqual(pids);

    // Fixed: applied (an extra service proves the edit was read).
    const c = await freePort();
    p.write(`${good}${serviceLine('c', c)}`);
    await waitFor(() => answers(c), { timeout: 10_000, what: 'c after the fix' });
    at = await w.saw(/c\s+start: not running/, { from: at });

    // Schema error (port out of range): errors shown, nothing changed.
    const running = p.tagged().sort();
    p.write(`${good}  c: { command: node ${serve} ${c} 127.0.0.1, port: 70000 }\n`);
    at = await w.saw(/ui-procs\.yaml:6:\d+: services\.c\.port/, { from: at });
    at = await w.saw('nothing was changed', { from: at });
    expect(p.tagged().sort()).toEqual(running);
    expect(await answers(c)).toBe(true);

    // Fixed back to what runs: nothing to do, nothing restarted.
    p.write(`${good}${serviceLine('c', c)}`);
    at = await w.saw('nothing to do', { from: at });
    expect(p.tagged().sort()).toEqual(running);

    await endLeavingRunning(w, [a, b, c], 'SIGTERM');
    await p.ok(['down']);
  });

  it('recreates the service whose env_file changed, and only it', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    writeFileSync(join(p.dir, 'a.env'), 'MODEL=small\n');
    p.write(`services:\n${serviceLine('a', a, ', env_file: a.env')}${serviceLine('b', b)}`);
    const w = startWatch(p);
    let at = await w.saw('watching');
    const before = { a: pidOf(p, 'a')!, b: pidOf(p, 'b')! };
    writeFileSync(join(p.dir, 'a.env'), 'MODEL=large\n');
    at = await w.saw(/a\s+recreate: config changed: env\.MODEL/, { from: at });
    at = await w.saw(/a\s+ready in/, { from: at });
    expect(pidOf(p, 'a')).not.toBe(before.a);
    expect(pidOf(p, 'b')).toBe(before.b);
    expect(isGone(before.a)).toBe(true);
    await endLeavingRunning(w, [a, b]);
    await p.ok(['down']);
  });

  it('waits for a deleted manifest to come back, keeping the services running', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    p.write(`services:\n${serviceLine('a', a)}`);
    const w = startWatch(p);
    let at = await w.saw('watching');
    const pid = pidOf(p, 'a')!;

    rmSync(join(p.dir, 'ui-procs.yaml'));
    at = await w.saw('waiting for it to come back', { from: at });
    expect(w.child.exitCode).toBeNull();
    expect(await answers(a)).toBe(true);
    expect(pidOf(p, 'a')).toBe(pid);

    p.write(`services:\n${serviceLine('a', a)}${serviceLine('b', b)}`);
    await waitFor(() => answers(b), { timeout: 10_000, what: 'b after the manifest came back' });
    expect(pidOf(p, 'a')).toBe(pid);

    await endLeavingRunning(w, [a, b]);
    await p.ok(['down']);
  });
});

describe('uiprocs watch: liveness', () => {
  it('brings back a kill -9ed `restart: always` service within 2 s, with backoff, counting the restarts', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${serviceLine('web', port, ', restart: always')}`);
    const w = startWatch(p, [], { UIPROCS_WATCH_INTERVAL_MS: '200' });
    let at = await w.saw('watching');
    for (const round of [1, 2]) {
      const pid = pidOf(p, 'web')!;
      process.kill(pid, 'SIGKILL');
      const killedAt = performance.now();
      await waitFor(async () => pidOf(p, 'web') !== pid && (await answers(port)), {
        timeout: 15_000,
        what: `web back after kill ${round}`,
      });
      const back = performance.now() - killedAt;
      // The second crash within 60 s is the second of a streak: attempt 2, after 2 s.
      at = await w.saw(`web: restart ${round} in ${round}.0 s`, { from: at });
      at = await w.saw(`web restarted (attempt ${round})`, { from: at });
      if (round === 1) {
        // The server's own start (spawn → port open, as the probe saw it) is not watch's
        // doing; detection (≤ 200 ms), the 1 s backoff and the converge around it are.
        const own = Number([...w.err().matchAll(/web\s+ready in (\d+) ms/g)].at(-1)?.[1]);
        console.log(`kill -9 → back: ${back.toFixed(0)} ms, of which the server's own start ${own} ms`);
        expect(back - own, `back after ${back.toFixed(0)} ms, own start ${own} ms`).toBeLessThan(3500);
      }
      const row = (await ps(p, 'web'))[0]!;
      expect(row.status).toBe('running');
      expect(row.restarts).toBe(round);
      expect(row.pid).not.toBe(pid);
    }
    await endLeavingRunning(w, [port]);
    await p.ok(['down']);
  });

  it.each([
    ['after ~100 ms', 100],
    ['at once (every restart fails while starting)', 0],
  ])('gives up on a service crashing %s after max_restarts, with a clear message', async (_, afterMs) => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n${serviceLine('ok', port)}  crashy: { command: node ${exitWith} 1 ${afterMs}, restart: on-failure, max_restarts: 2 }\n`,
    );
    const w = startWatch(p, [], TRACED);
    const at = await w.saw('watching', { timeout: 20_000 });
    await w.saw('crashy crashed 3 times in a row; not restarting (max_restarts: 2)', { from: at });
    // Two restarts, whether each died after its start or while starting (on a loaded
    // machine node may take longer than the crash's 100 ms to get going).
    expect(
      w
        .err()
        .slice(at)
        .match(/^· crashy\s+start: /gm),
    ).toHaveLength(2);
    const row = (await ps(p, 'crashy'))[0]!;
    expect(row.status).toBe('exited');
    expect(row.restarts).toBe(2);
    // It stays given up: no third restart.
    const printed = w.err().length;
    await ticksPass(() => w.err(), 5, 'watch');
    expect(w.err().slice(printed)).not.toMatch(/crashy restarted/);
    await endLeavingRunning(w, [port]);
    await p.ok(['down']);
  });

  it('knows the exit code of what it started: on-failure leaves a clean exit down and restarts a failure', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    // Both stay up past the 300 ms start period (so they start fine), then exit: 0 and 3.
    p.write(
      `services:\n${serviceLine('ok', port)}` +
        `  done: { command: node ${exitWith} 0 800, restart: on-failure }\n` +
        `  broken: { command: node ${exitWith} 3 800, restart: on-failure, max_restarts: 1 }\n`,
    );
    const w = startWatch(p, [], FAST);
    const at = await w.saw('watching', { timeout: 20_000 });
    await w.saw('broken died (exit code 3)', { from: at, timeout: 15_000 });
    await w.saw('done died (exit code 0)', { from: at, timeout: 15_000 });
    await w.saw(/done stays down/, { from: at, timeout: 15_000 });
    await w.saw(/broken restarted/, { from: at, timeout: 15_000 });
    expect(w.err().slice(at)).not.toMatch(/done restarted/);
    // Watch was its parent: it recorded the code, so ps says `exited (0)`, not "unknown",
    // and still does once watch is gone.
    const done = { status: 'exited', exit_code: 0, exit_signal: null, finished_at: expect.any(String) };
    await waitFor(async () => (await ps(p, 'done'))[0]!.exit_code === 0, { what: 'ps: done exited (0)' });
    expect((await ps(p, 'done'))[0]).toMatchObject(done);
    await endLeavingRunning(w, [port]);
    expect((await ps(p, 'done'))[0]).toMatchObject(done);
    await p.ok(['down']);
  });

  it('leaves a service stopped by `down` in another terminal down until `up` asks for it', async () => {
    const p = track(e2eProject());
    const [web, api] = [await freePort(), await freePort()];
    p.write(
      `services:\n${serviceLine('web', web, ', restart: always')}${serviceLine('api', api, ', restart: always')}`,
    );
    const w = startWatch(p, [], TRACED);
    let at = await w.saw('watching');
    const apiPid = pidOf(p, 'api');

    const down = await p.run(['down', 'web']);
    expect(down.code, down.stderr).toBe(0);
    expect(await answers(web)).toBe(false);
    // Several liveness ticks later, web is still down and was not restarted.
    await ticksPass(() => w.err(), 7, 'watch');
    expect(await answers(web)).toBe(false);
    expect(p.record('web')).toBeUndefined();
    expect(w.err().slice(at)).not.toMatch(/web restarted/);
    expect(pidOf(p, 'api')).toBe(apiPid);

    const up = await p.run(['up', 'web']);
    expect(up.code, up.stderr).toBe(0);
    expect(await answers(web)).toBe(true);
    // And watch keeps it alive again from now on.
    const pid = pidOf(p, 'web')!;
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => pidOf(p, 'web') !== pid && (await answers(web)), {
      timeout: 10_000,
      what: 'web restarted after up',
    });
    at = await w.saw('web restarted', { from: at });

    await endLeavingRunning(w, [web, api]);
    await p.ok(['down']);
  });
});

describe('uiprocs watch: down of a crashed service', () => {
  it('a `down` while a restart is pending cancels it', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${serviceLine('web', port, ', restart: always')}`);
    const w = startWatch(p, [], {
      UIPROCS_WATCH_INTERVAL_MS: '200',
      UIPROCS_BACKOFF_BASE_MS: '2500',
      UIPROCS_TRACE_TICKS: '1',
    });
    let at = await w.saw('watching');
    const pid = pidOf(p, 'web')!;
    process.kill(pid, 'SIGKILL');
    at = await w.saw('web: restart 1 in 2.5 s', { from: at });
    const down = await p.run(['down', 'web']);
    expect(down.code, down.stderr).toBe(0);
    expect(p.record('web')).toBeUndefined();
    at = await w.saw('web was stopped on purpose; not restarting it', { from: at });
    // Past the restart's due time (2.5 s), plus ticks: 18 ticks of 200 ms; still down.
    await ticksPass(() => w.err(), 18, 'watch');
    expect(w.err().slice(at)).not.toMatch(/web restarted/);
    expect(p.record('web')).toBeUndefined();
    expect(await answers(port)).toBe(false);
    expect(p.tagged()).toEqual([]);
    expect(await w.end()).toBe(0);
  });
});

describe('uiprocs watch: lock and exit', () => {
  it('holds the lock only while reconciling: down and up beside an idle watch complete promptly', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${serviceLine('a', port)}`);
    const w = startWatch(p);
    await w.saw('watching');
    for (const args of [
      ['down', 'a'],
      ['up', 'a'],
    ]) {
      const t = performance.now();
      const r = await p.run(args);
      const took = performance.now() - t;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('waiting for the lock');
      // Generous for a loaded 2-core machine; a lock held by watch would never be released.
      expect(took, `${args.join(' ')} took ${took.toFixed(0)} ms`).toBeLessThan(5000);
    }
    await endLeavingRunning(w, [port]);
    await p.ok(['down']);
  });

  it('--down-on-exit stops everything on Ctrl-C and exits 0 (also as up --watch)', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    p.write(`services:\n${serviceLine('a', a)}${serviceLine('b', b)}`);
    const child = p.start(['up', '--watch', '--down-on-exit']);
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    watching = {
      child,
      err: () => err,
      saw: async () => 0,
      end: async (signal = 'SIGKILL') => {
        if (child.exitCode === null) child.kill(signal);
        return exited;
      },
    };
    await waitFor(() => err.includes('watching'), { timeout: 15_000, what: `watching; got:\n${err}` });
    const pids = p.tagged();
    expect(pids).toHaveLength(2);
    child.kill('SIGINT');
    expect(await exited, err).toBe(0);
    expect(err).toContain('stopping the services');
    expect(p.tagged()).toEqual([]);
    for (const pid of pids) expect(isGone(pid)).toBe(true);
    expect(await answers(a)).toBe(false);
    expect(await answers(b)).toBe(false);
  });

  it('a second Ctrl-C during --down-on-exit forces the stop of a service that ignores SIGTERM', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n  stubborn: { command: node ${join(programs, 'ignore-sigterm.mjs')} ${port}, port: ${port}, stop_timeout: 60s }\n`,
    );
    const w = startWatch(p, ['--down-on-exit']);
    await w.saw('watching');
    const pids = p.tagged();
    expect(pids.length).toBeGreaterThan(0);
    w.child.kill('SIGINT');
    await w.saw('stopping the services');
    // The stop waits out stop_timeout (60 s) unless forced.
    await new Promise((r) => setTimeout(r, 300));
    expect(w.child.exitCode).toBeNull();
    const t = performance.now();
    expect(await w.end('SIGINT'), w.err()).toBe(0); // the second Ctrl-C
    expect(performance.now() - t).toBeLessThan(10_000);
    await waitFor(() => pids.every(isGone), { what: 'stubborn killed' });
    expect(p.tagged()).toEqual([]);
  });
});
