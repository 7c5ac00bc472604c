import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { ReadyCheck, ServiceSpec } from '../../src/core/model.js';
import { tailLines, type WaitReadyInput, waitReady } from '../../src/probes/ready.js';
import { createLinuxSystem } from '../../src/runtime/linux-system.js';
import { createListenRounds, LISTEN_ROUND_MS, type ListenRounds } from '../../src/runtime/listen-rounds.js';
import { childExitWithin, type SpawnedService, spawnService } from '../../src/runtime/spawn.js';
import { isLive, type System } from '../../src/runtime/system.js';
import { freePort } from '../helpers/procs.js';
import { program, type TempProject, tempProject } from '../helpers/temp-project.js';
import { waitFor } from '../helpers/wait.js';

const system = createLinuxSystem();
const clock = systemClock;
let project: TempProject;
afterEach(() => project?.cleanup());

async function start(spec: ServiceSpec, port: number | null): Promise<SpawnedService> {
  const result = await spawnService(
    { spec, port, projectId: project.projectId, project: 'demo', baseEnv: process.env },
    { system },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  project.track(result.value.pid);
  return result.value;
}

function ready(
  s: SpawnedService,
  check: ReadyCheck,
  timeout = 10_000,
  extra: Pick<WaitReadyInput, 'cwd' | 'exitOf'> = {},
  probeSystem: System = system,
  listen?: ListenRounds,
) {
  const alive = () => {
    const info = system.proc(s.pid);
    return isLive(info) && info.startTime === s.startTime;
  };
  return waitReady(
    {
      ready: { check, timeout, interval: 50 },
      port: s.port,
      pid: s.pid,
      logPath: s.logPath,
      logOffset: s.logOffset,
      ...extra,
    },
    { system: probeSystem, clock, isAlive: alive, listen },
  );
}

/** When the port first accepted a connection, polled independently of the probe. */
function watchPortOpen(port: number): { openedAt: () => number | undefined; stop: () => void } {
  let openedAt: number | undefined;
  const timer = setInterval(() => {
    if (openedAt === undefined && system.portOwners(port).length > 0) openedAt = performance.now();
  }, 10);
  return { openedAt: () => openedAt, stop: () => clearInterval(timer) };
}

describe('waitReady', () => {
  it('tcp: a server opening its port after 1.5 s is ready after it opens, not before', async () => {
    project = tempProject();
    const port = await freePort();
    const watcher = watchPortOpen(port);
    const s = await start(project.spec('slow', `node ${program('slow-serve.mjs')} 1500 ${port}`), port);
    const t0 = performance.now();
    const result = await ready(s, { kind: 'tcp' });
    const readyAt = performance.now();
    expect(result.ok).toBe(true);
    // The probe may notice the opening before the watcher's next look: let it look.
    const opened = await waitFor(() => watcher.openedAt(), {
      timeout: 2000,
      what: 'the watcher to see the port',
    });
    watcher.stop();
    // The watcher sees the opening up to one poll (10 ms) plus one fd scan (slow under load) late; the probe
    // watches the kernel's listening table every 15 ms, so it may see it first.
    expect(readyAt).toBeGreaterThanOrEqual(opened! - 100);
    expect(readyAt - t0).toBeGreaterThanOrEqual(1400);
    // Backoff is capped, so readiness follows the opening within about one max interval.
    expect(readyAt - opened!).toBeLessThan(1100);
  });

  it('tcp without a readable socket table connects instead, and still waits for the opening', async () => {
    project = tempProject();
    const port = await freePort();
    const blind: System = { ...system, listeningPorts: () => undefined, listeningAmong: () => undefined };
    const s = await start(project.spec('slow', `node ${program('slow-serve.mjs')} 600 ${port}`), port);
    const t0 = performance.now();
    const result = await ready(s, { kind: 'tcp' }, 10_000, {}, blind);
    expect(result.ok).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(500);
  });

  it('waits for 6 real servers share one read of the socket table per round, and a no-op confirm is one read', async () => {
    project = tempProject();
    let reads = 0;
    const counting: System = {
      ...system,
      listeningAmong: (ports) => {
        reads++;
        return system.listeningAmong!(ports);
      },
    };
    const listen = createListenRounds(counting, clock);
    const servers: SpawnedService[] = [];
    // Ports that open 300 to 800 ms after the start: the waits span dozens of rounds.
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      servers.push(
        await start(
          project.spec(`s${i}`, `node ${program('slow-serve.mjs')} ${300 + 100 * i} ${port}`),
          port,
        ),
      );
    }
    const t0 = performance.now();
    const results = await Promise.all(
      servers.map((s) => ready(s, { kind: 'tcp' }, 10_000, {}, counting, listen)),
    );
    const elapsed = performance.now() - t0;
    expect(results.map((r) => r.ok)).toEqual(servers.map(() => true));
    expect(servers.filter((s) => system.portOwners(s.port!).length === 0)).toEqual([]);
    // The first look, then at most one read per round; a wait of its own per server would
    // read six times as often.
    expect(reads).toBeLessThanOrEqual(2 + elapsed / LISTEN_ROUND_MS);
    // Confirming them all again (a no-op up) is one read.
    reads = 0;
    const again = await Promise.all(
      servers.map((s) => ready(s, { kind: 'tcp' }, 10_000, {}, counting, listen)),
    );
    expect(again.every((r) => r.ok)).toBe(true);
    expect(reads).toBe(1);
  });

  it('http: 503 while warming up, ready on the first 200', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('flaky', `node ${program('flaky-http.mjs')} 800 ${port}`), port);
    const result = await ready(s, { kind: 'http', target: '/health' });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.ms).toBeGreaterThanOrEqual(700);
  });

  it('http: a timeout names the probe, the elapsed time and the last answer', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('flaky', `node ${program('flaky-http.mjs')} 60000 ${port}`), port);
    const t0 = performance.now();
    const result = await ready(s, { kind: 'http', target: '/health' }, 700);
    expect(performance.now() - t0).toBeLessThan(5000); // the 700 ms timeout, not the 60 s default
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe('service-failed');
      expect(result.error).toMatchObject({
        message: expect.stringMatching(
          /^not ready after 0\.\ds: http GET http:\/\/127\.0\.0\.1:\d+\/health did not pass \(last: .*503\)$/,
        ),
      });
    }
  });

  it('log: matches only lines written after the start (service without port)', async () => {
    project = tempProject();
    const spec = project.spec('worker', `sh -c 'sleep 0.3; echo "worker ready"; exec sleep 30'`);
    spec.log.path = join(project.dir, 'worker.log');
    // An old run's line must not count.
    writeFileSync(spec.log.path, 'worker ready (from last time)\n');
    const s = await start(spec, null);
    expect(s.logOffset).toBeGreaterThan(0);
    const t0 = performance.now();
    const result = await ready(s, { kind: 'log', pattern: '^worker ready$' });
    expect(result.ok).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('command: exit 0 in the service cwd passes', async () => {
    project = tempProject();
    const s = await start(project.spec('c', 'sleep 30'), null);
    writeFileSync(join(project.dir, 'flag'), '');
    const result = await ready(s, { kind: 'command', command: 'test -f flag' }, 5000, { cwd: project.dir });
    expect(result.ok).toBe(true);
  });

  it('alive: ready after the start period when nothing is probed', async () => {
    project = tempProject();
    const s = await start(project.spec('a', 'sleep 30'), null);
    const result = await ready(s, { kind: 'alive' });
    expect(result.ok && result.value.ms).toBeGreaterThanOrEqual(300);
    expect(result.ok && result.value.ms).toBeLessThan(3000);
  });

  it('fails at once when the process exits while starting, with its exit code and last log lines', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('dies', `node ${program('exit-with.mjs')} 2 0 25`), port);
    const t0 = performance.now();
    const result = await ready(s, { kind: 'tcp' }, 30_000, { exitOf: () => childExitWithin(s.pid) });
    const elapsed = performance.now() - t0;
    expect(result.ok).toBe(false);
    expect(elapsed).toBeLessThan(5000); // at once, not after the 30 s timeout
    if (!result.ok && result.error.reason === 'service-failed') {
      expect(result.error.message).toMatch(
        new RegExp(`^exited with code 2 after \\d+\\.\\d s while starting \\(pid ${s.pid}\\)`),
      );
      expect(result.error.details).toHaveLength(20);
      expect(result.error.details!.at(-1)).toBe('fatal: exiting with 2');
      expect(result.error.details![0]).toBe('line 7');
    }
  });
});

describe('the failure line of a death names how it ended', () => {
  it('killed by a signal: the signal; not our child (no exitOf): exit code unknown', async () => {
    project = tempProject();
    const killed = await start(project.spec('seg', ['sh', '-c', 'kill -SEGV $$']), null);
    const bySignal = await ready(killed, { kind: 'alive' }, 10_000, {
      exitOf: () => childExitWithin(killed.pid),
    });
    expect(!bySignal.ok && bySignal.error.reason === 'service-failed' && bySignal.error.message).toMatch(
      new RegExp(`^killed by SIGSEGV after \\d+\\.\\d s while starting \\(pid ${killed.pid}\\)`),
    );
    const gone = await start(project.spec('gone', ['sh', '-c', 'exit 5']), null);
    const unknown = await ready(gone, { kind: 'alive' });
    expect(!unknown.ok && unknown.error.reason === 'service-failed' && unknown.error.message).toMatch(
      new RegExp(`^exited after \\d+\\.\\d s while starting \\(pid ${gone.pid}, exit code unknown\\)`),
    );
  });
});

describe('tailLines', () => {
  it('returns the last n lines, or [] for a missing file', async () => {
    project = tempProject();
    const path = join(project.dir, 'x.log');
    writeFileSync(path, Array.from({ length: 100 }, (_, i) => `l${i}`).join('\n') + '\n');
    expect(await tailLines(path, 3)).toEqual(['l97', 'l98', 'l99']);
    expect(await tailLines(join(project.dir, 'none.log'), 3)).toEqual([]);
  });
});
