/**
 * The waits of one converge share one read of the socket table per round, however many
 * services they wait for. A counting System stands in for the kernel's table: each
 * `listeningPorts()` call is one read of it (the interface every System offers, so the
 * count means the same for any way of asking).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Desired, ServiceSpec } from '../../src/core/model.js';
import type { Plan } from '../../src/core/plan.js';
import { checkStarts } from '../../src/engine/preflight.js';
import { waitReady } from '../../src/probes/ready.js';
import { createListenRounds, LISTEN_ROUND_MS } from '../../src/runtime/listen-rounds.js';
import { FakeClock, FakeSystem } from './state-support.js';

/** A System whose socket table is `open` (plus what `opening` says is open by now), counting every read of it. */
class CountingTable extends FakeSystem {
  open = new Set<number>();
  reads = 0;
  opening: () => number[] = () => [];
  listeningPorts(): Set<number> {
    this.reads++;
    return new Set([...this.open, ...this.opening()]);
  }
}

const N = 50;
const ports = Array.from({ length: N }, (_, i) => 20_000 + i);

function waitAll(system: CountingTable, clock: FakeClock, share = true) {
  const listen = share ? createListenRounds(system, clock) : undefined;
  return Promise.all(
    ports.map((port) =>
      waitReady(
        {
          ready: { check: { kind: 'tcp' }, timeout: 30_000, interval: 100 },
          port,
          pid: process.pid,
          logPath: '/nonexistent/log',
          logOffset: 0,
        },
        { system, clock, isAlive: () => true, listen },
      ),
    ),
  );
}

describe('socket-table rounds', () => {
  it('a no-op up: 50 services already listening are confirmed ready by one read of the table', async () => {
    const system = new CountingTable();
    for (const p of ports) system.open.add(p);
    const results = await waitAll(system, new FakeClock());
    expect(results.every((r) => r.ok)).toBe(true);
    expect(system.reads).toBe(1);
  });

  it('waits for 50 ports that open one by one read the table once per round, not once per waiter', async () => {
    const system = new CountingTable();
    const clock = new FakeClock();
    // Port i opens at 10·i ms: 490 ms of fake time, 33 rounds of 15 ms.
    system.opening = () => ports.filter((_, i) => clock.now() >= 10 * i);
    const results = await waitAll(system, clock);
    expect(results.every((r) => r.ok)).toBe(true);
    // Rounds tick on one shared sleep, so fake time is the rounds' time: the last port
    // opened at 490 ms and was seen by the round after.
    const rounds = clock.now() / LISTEN_ROUND_MS;
    expect(rounds).toBe(Math.ceil(490 / LISTEN_ROUND_MS));
    // The first look plus one read per round.
    expect(system.reads).toBe(rounds + 1);
  });

  it('a question asked after a round read the table is answered by a new read', async () => {
    const system = new CountingTable();
    const rounds = createListenRounds(system, new FakeClock());
    system.open.add(20_000);
    const together = await Promise.all([rounds.look(20_000), rounds.look(20_001), rounds.look(20_000)]);
    expect(together).toEqual([true, false, true]);
    expect(system.reads).toBe(1);
    // The old server is gone (a recreate on its port): the earlier read must not answer.
    system.open.delete(20_000);
    expect(await rounds.look(20_000)).toBe(false);
    expect(system.reads).toBe(2);
    system.open.add(20_000);
    expect(await rounds.nextRound(20_000)).toBe(true);
    expect(system.reads).toBe(3);
  });

  it('without a table (the System cannot read it) every round answers "unknown", never "not listening"', async () => {
    const rounds = createListenRounds(new FakeSystem(), new FakeClock());
    expect(await rounds.look(20_000)).toBeUndefined();
    expect(await rounds.nextRound(20_000)).toBeUndefined();
  });
});

describe('preflight', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('checks the ports of 50 starts with one read of the table', () => {
    dir = mkdtempSync(join(tmpdir(), 'uiprocs-preflight-'));
    const logDir = dir;
    const spec = (name: string, port: number): ServiceSpec => ({
      name,
      command: 'true',
      port,
      groups: [],
      cwd: logDir,
      env: {},
      envFiles: [],
      log: { path: join(logDir, `${name}.log`), maxSize: 1_000_000, keep: 1 },
      dependsOn: {},
      ready: { check: { kind: 'tcp' }, timeout: 1000, interval: 100 },
      stopSignal: 'SIGTERM',
      stopTimeout: 1000,
      restart: 'no',
      maxRestarts: 0,
      disabled: false,
    });
    const services = Object.fromEntries(ports.map((p, i) => [`s${i}`, spec(`s${i}`, p)]));
    const desired = {
      project: 'demo',
      stateDir: join(dir, '.uiprocs'),
      services,
      groups: {},
    } as unknown as Desired;
    const plan: Plan = {
      actions: Object.keys(services).map((service) => ({ kind: 'start', service, cause: 'not running' })),
      notes: [],
      awaitReady: [],
    };
    const system = new CountingTable();
    system.open.add(1); // something else listens, on none of these ports
    expect(checkStarts(desired, plan, system, 'demo-id')).toEqual({ ok: true, value: undefined });
    expect(system.reads).toBe(1);
  });
});
