/**
 * Health checks end to end: the built CLI's `uiprocs watch` in the foreground probes a real
 * HTTP server on a free port whose /health answers 200 until the test asks it to /break,
 * then 500. `ps` (another process) shows the health from the state dir; with `restart:
 * on-failure` the unhealthy server is restarted (new PID, restarts 1, the cause printed),
 * with `restart: no` it stays up, unhealthy, with the same PID.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { StatusRow } from '../../src/engine/status.js';
import { getSystem } from '../../src/runtime/system.js';
import { acquireLock } from '../../src/state/lock.js';
import { markStopped } from '../../src/state/stop-marker.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import {
  answers,
  type E2eProject,
  e2eProject,
  isGone,
  liveSupervisor,
  programs,
  psRows,
  supervisorLog,
  trackProjects,
} from './harness.js';

const server = join(programs, 'health-http.mjs');
const FAST = { UIPROCS_WATCH_INTERVAL_MS: '200', UIPROCS_BACKOFF_BASE_MS: '200' };

const track = trackProjects();
let watch: { child: ChildProcess; err: () => string } | undefined;

afterEach(({ task }) => {
  if (task.result?.state === 'fail' && watch) console.error(`watch printed:\n${watch.err()}`);
  watch = undefined;
});

function startWatch(p: E2eProject) {
  const child = p.start(['watch'], FAST);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  child.stdout!.resume();
  watch = { child, err: () => err };
  return watch;
}

const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;

async function row(p: E2eProject, name: string): Promise<StatusRow> {
  return (await psRows(p, name))[0]!;
}

async function psLine(p: E2eProject, name: string): Promise<string> {
  const r = await p.run(['ps', name]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
}

function manifest(port: number, restart: 'no' | 'on-failure') {
  return [
    'services:',
    '  web:',
    `    command: node ${server} ${port}`,
    `    port: ${port}`,
    `    restart: ${restart}`,
    '    healthcheck: { http: /health, interval: 200ms, timeout: 1s, retries: 3 }',
    '',
  ].join('\n');
}

describe('health checks under uiprocs watch', () => {
  it('restart: on-failure restarts a server whose /health answers 500, with the cause', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(manifest(port, 'on-failure'));
    const w = startWatch(p);
    await waitFor(() => w.err().includes('watching'), { timeout: 15_000, what: 'watch to start' });
    const first = p.record('web')!.pid;

    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'ps to say healthy',
    });
    expect(await psLine(p, 'web')).toMatch(/^web\s+-\s+running \(healthy\)\s/);

    expect(await get(port, '/break')).toBe(200);
    expect(await get(port, '/health')).toBe(500);
    // Restarted: a new PID, counted in the record, the old process really gone.
    // One read of the record: between two, a recreate may have removed it.
    await waitFor(() => (p.record('web')?.pid ?? first) !== first, {
      timeout: 15_000,
      what: 'web to be restarted with a new PID',
    });
    expect(w.err()).toContain('web is unhealthy: GET /health → 500 (3 in a row); restarting it');
    await waitFor(() => isGone(first), { what: 'the unhealthy process to be gone' });
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'the new process to be healthy',
    });
    const after = await row(p, 'web');
    expect(after).toMatchObject({ status: 'running', health: 'healthy', restarts: 1 });
    expect(after.pid).not.toBe(first);
    expect(await answers(port)).toBe(true);
    expect(await get(port, '/health')).toBe(200);
    await waitFor(
      () => /web restarted \(pid \d+\), cause: unhealthy: GET \/health → 500 \(3 in a row\)/.test(w.err()),
      {
        what: 'watch to print the restart with its cause',
      },
    );
    // The liveness loop did not take the health restart's kill for a crash.
    expect(w.err()).not.toMatch(/web died/);

    w.child.kill('SIGINT');
    await waitFor(() => w.child.exitCode !== null, { timeout: 10_000, what: 'watch to exit' });
    // The duties go back to a detached supervisor, which goes on probing.
    await liveSupervisor(p, 'the supervisor to take the duties back');
    // watch removed the health files it wrote before it exited: a health now is the supervisor's.
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'the supervisor to report web healthy',
    });
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });

  it('a new process slower to listen than retries × interval is restarted once, not again while it comes up', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    // 3 refused connections at 200 ms take 600 ms; the server listens after 1.5 s.
    p.write(`${manifest(port, 'on-failure')}    env: { LISTEN_DELAY_MS: '1500' }\n`);
    const w = startWatch(p);
    await waitFor(() => w.err().includes('watching'), { timeout: 15_000, what: 'watch to start' });
    const first = p.record('web')!.pid;
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'ps to say healthy',
    });
    expect(await get(port, '/break')).toBe(200);
    await waitFor(() => /web restarted \(pid \d+\)/.test(w.err()), {
      timeout: 15_000,
      what: 'watch to restart web',
    });
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'the new process to be healthy',
    });
    const after = await row(p, 'web');
    expect(after.pid).not.toBe(first);
    expect(after.restarts).toBe(1);
    expect(w.err()).not.toContain('unhealthy restart 2');
    w.child.kill('SIGINT');
    await waitFor(() => w.child.exitCode !== null, { timeout: 10_000, what: 'watch to exit' });
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });

  it('restart: no leaves an unhealthy server up, same PID, and ps says unhealthy', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(manifest(port, 'no'));
    const w = startWatch(p);
    await waitFor(() => w.err().includes('watching'), { timeout: 15_000, what: 'watch to start' });
    const pid = p.record('web')!.pid;
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'ps to say healthy',
    });

    await get(port, '/break');
    await waitFor(async () => (await row(p, 'web')).health === 'unhealthy', {
      timeout: 10_000,
      what: 'ps to say unhealthy',
    });
    expect(await psLine(p, 'web')).toMatch(/^web\s+-\s+running \(unhealthy\)\s/);
    const check = await p.run(['ps', '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('unhealthy: web');
    expect(w.err()).toContain(
      'web is unhealthy: GET /health → 500 (3 in a row); restart: no, so it stays up',
    );
    // A few more probes: still the same process, never restarted.
    const probesLater = w.err().length;
    await waitFor(async () => (await row(p, 'web')).uptime_ms! > 2000, {
      timeout: 10_000,
      what: 'time to pass',
    });
    const r = await row(p, 'web');
    expect(r).toMatchObject({ pid, status: 'running', health: 'unhealthy', restarts: 0 });
    expect(w.err().slice(probesLater)).not.toMatch(/restart/);

    // It recovers when /health answers again.
    await get(port, '/fix');
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'ps to say healthy again',
    });
    expect(p.record('web')!.pid).toBe(pid);
    await p.ok(['ps', '--check']);
    w.child.kill('SIGINT');
    await waitFor(() => w.child.exitCode !== null, { timeout: 10_000, what: 'watch to exit' });
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });

  it('a down that wins the race for the lock is respected: the unhealthy service is not restarted', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(manifest(port, 'on-failure'));
    const w = startWatch(p);
    await waitFor(() => w.err().includes('watching'), { timeout: 15_000, what: 'watch to start' });
    const pid = p.record('web')!.pid;
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'ps to say healthy',
    });
    // Hold the state lock, so the health restart has to wait for it, as it would behind a
    // `down` in another terminal; meanwhile do what that down does: write the stop marker
    // (markStopped, the function down calls), then stop the process group.
    const system = getSystem();
    const lock = await acquireLock(p.stateDir, { command: 'test', system, clock: systemClock });
    expect(lock.ok).toBe(true);
    if (!lock.ok) return;
    try {
      await get(port, '/break');
      await waitFor(
        () => w.err().includes('web is unhealthy: GET /health → 500 (3 in a row); restarting it'),
        {
          timeout: 10_000,
          what: 'the health restart to begin',
        },
      );
      expect(markStopped(p.stateDir, 'web').ok).toBe(true);
      process.kill(-p.record('web')!.pgid, 'SIGTERM');
      await waitFor(() => isGone(pid), { what: 'the service to be stopped' });
    } finally {
      lock.value();
    }
    await waitFor(() => w.err().includes('web: not restarted after all'), {
      timeout: 10_000,
      what: 'the guarded restart to find it stopped',
    });
    // The liveness loop, resumed, sees the stop marker: stopped on purpose, not a crash.
    await waitFor(() => w.err().includes('web was stopped on purpose; not restarting it'), {
      timeout: 10_000,
      what: 'the liveness loop to respect the stop marker',
    });
    expect(w.err()).not.toMatch(/web restarted|web died/);
    expect(await answers(port)).toBe(false);
    expect(p.tagged()).toEqual([]);
    expect((await row(p, 'web')).health).toBeNull();
  });
});

describe('health checks under the detached supervisor', () => {
  it('with nothing in the foreground, a server whose /health answers 500 is reported unhealthy, then restarted', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(manifest(port, 'on-failure'));
    await p.ok(['up'], FAST);
    await liveSupervisor(p);
    const first = p.record('web')!.pid;
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'the supervisor to report web healthy',
    });

    expect(await get(port, '/break')).toBe(200);
    // One read of the record: between two, a recreate may have removed it.
    await waitFor(() => (p.record('web')?.pid ?? first) !== first, {
      timeout: 15_000,
      what: 'the supervisor to restart web with a new PID',
    });
    await waitFor(() => isGone(first), { what: 'the unhealthy process to be gone' });
    expect(supervisorLog(p)).toContain('web is unhealthy: GET /health → 500 (3 in a row); restarting it');
    await waitFor(async () => (await row(p, 'web')).health === 'healthy', {
      timeout: 10_000,
      what: 'the new process to be healthy',
    });
    expect(await row(p, 'web')).toMatchObject({ status: 'running', health: 'healthy', restarts: 1 });
    await waitFor(
      () => /web restarted \(pid \d+\), cause: unhealthy: GET \/health → 500/.test(supervisorLog(p)),
      {
        what: 'the supervisor log to name the cause',
      },
    );
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });
});

/**
 * A server healthy for 2 checks after each start, then failing, with `max_restarts: 2`
 * (plus `extra`, a manifest line): up, then wait until the supervisor gives up, and check
 * each restart was counted on, 1 then 2, never one number twice.
 */
async function givenUpAfterTwo(extra?: string): Promise<E2eProject> {
  const p = track(e2eProject());
  const port = await freePort();
  p.write(
    [
      'services:',
      '  web:',
      `    command: node ${server} ${port} 2`,
      `    port: ${port}`,
      '    restart: on-failure',
      '    max_restarts: 2',
      ...(extra === undefined ? [] : [extra]),
      '    healthcheck: { http: /health, interval: 100ms, timeout: 1s, retries: 2 }',
      '',
    ].join('\n'),
  );
  await p.ok(['up'], FAST);
  await liveSupervisor(p);
  await waitFor(
    () => supervisorLog(p).includes('not restarting it: 2 unhealthy restarts in a row (max_restarts: 2)'),
    { timeout: 20_000, what: () => `the supervisor to give up (its log:\n${supervisorLog(p)})` },
  );
  const log = supervisorLog(p);
  expect(log.match(/unhealthy restart 1\)/g)).toHaveLength(1);
  expect(log.match(/unhealthy restart 2\)/g)).toHaveLength(1);
  expect(log).not.toContain('unhealthy restart 3');
  return p;
}

describe('unhealthy restarts are one streak until the service stays healthy', () => {
  it('a server healthy for a moment after each restart is given up after max_restarts, and ps says why it restarted', async () => {
    const p = await givenUpAfterTwo();
    const web = await row(p, 'web');
    expect(web).toMatchObject({ status: 'running', restarts: 2 });
    // Under load a new process may fail its first checks before it listens (ECONNREFUSED).
    expect(web.last_restart?.cause).toMatch(/^unhealthy: GET \/health.* \(2 in a row\)$/);
    const table = await p.run(['ps']);
    expect(table.stdout).toMatch(/web: restarted \d+s ago: unhealthy: GET \/health.* \(2 in a row\)/);
    await p.ok(['down']);
  });

  it('a new process that turns unhealthy before its restart has returned is the next attempt, not the same one again', async () => {
    // The ready probe holds each restart's converge for a second while the new process passes
    // its 2 checks and fails again: its unhealthy event comes while the restart is still running.
    const p = await givenUpAfterTwo('    ready: { command: sleep 1, timeout: 10s }');
    await waitFor(async () => (await row(p, 'web')).restarts === 2, {
      what: 'the record to count 2 restarts',
    });
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });
});
