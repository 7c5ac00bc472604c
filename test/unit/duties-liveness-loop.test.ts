import { describe, expect, it } from 'vitest';
import { FakeScheduler } from '../../src/core/fake-scheduler.js';
import type { ServicePolicy } from '../../src/core/restart-policy.js';
import {
  type LivenessEvent,
  LivenessLoop,
  pausedDuring,
  type ServiceLiveness,
} from '../../src/duties/liveness-loop.js';

/** A fake machine: what observe() reports, and what restart() does to it. */
function harness(opts: {
  policies?: Record<string, ServicePolicy>;
  /** What a restart leaves behind; default: the service runs. */
  afterRestart?: (name: string) => ServiceLiveness;
  restartFails?: boolean;
  /** The re-check under the lock finds it marked stopped: nothing started. */
  restartSkips?: boolean;
  observeMs?: number;
  restartMs?: number;
}) {
  const s = new FakeScheduler();
  const world = new Map<string, ServiceLiveness>();
  const events: LivenessEvent[] = [];
  const restarts: { name: string; attempt: number; at: number }[] = [];
  let observing = 0;
  let busy = 0;
  let maxBusy = 0;
  const enter = () => {
    busy++;
    maxBusy = Math.max(maxBusy, busy);
  };
  const policies = opts.policies ?? { web: { name: 'web', restart: 'always', maxRestarts: 5 } };
  const loop = new LivenessLoop({
    scheduler: s,
    intervalMs: 1000,
    policyOf: (name) => policies[name],
    onEvent: (e) => events.push(e),
    observe: async () => {
      enter();
      observing++;
      if (opts.observeMs) await s.sleep(opts.observeMs);
      busy--;
      return new Map(world);
    },
    restart: async (name, { attempt }) => {
      enter();
      restarts.push({ name, attempt, at: s.now() });
      if (opts.restartMs) await s.sleep(opts.restartMs);
      busy--;
      if (opts.restartFails) throw new Error('port in use');
      if (opts.restartSkips) {
        world.set(name, { status: 'stopped' });
        return 'skipped';
      }
      world.set(name, opts.afterRestart?.(name) ?? { status: 'running' });
    },
  });
  return {
    s,
    world,
    events,
    restarts,
    loop,
    get observeCalls() {
      return observing;
    },
    get maxBusy() {
      return maxBusy;
    },
    types: () => events.map((e) => `${e.type}${'name' in e ? `:${e.name}` : ''}`),
  };
}

describe('LivenessLoop', () => {
  it('restarts a dead service after the backoff delay', async () => {
    const h = harness({});
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(1500);
    h.world.set('web', { status: 'dead', exitCode: 137 });
    await h.s.advance(500); // tick at 2000 sees the death
    expect(h.events).toEqual([
      { type: 'crashed', name: 'web', exitCode: 137, cause: 'exited (137)' },
      { type: 'restarting', name: 'web', attempt: 1, delayMs: 1000 },
    ]);
    await h.s.advance(999);
    expect(h.restarts).toEqual([]);
    await h.s.advance(1);
    expect(h.restarts).toEqual([{ name: 'web', attempt: 1, at: 3000 }]);
    expect(h.events.at(-1)).toEqual({ type: 'restarted', name: 'web', attempt: 1 });
    await h.s.advance(10_000);
    expect(h.restarts).toHaveLength(1);
    await h.loop.stop();
    expect(h.s.pendingTimers).toBe(0);
  });

  it('treats a record that vanished without a stop marker as a crash (unknown exit)', async () => {
    const h = harness({ policies: { web: { name: 'web', restart: 'on-failure', maxRestarts: 5 } } });
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'absent' });
    await h.s.advance(2000);
    expect(h.events[0]).toEqual({
      type: 'crashed',
      name: 'web',
      exitCode: null,
      cause: 'gone (its record too)',
    });
    expect(h.restarts).toHaveLength(1);
    await h.loop.stop();
  });

  it('leaves alone an absent service it never saw running', async () => {
    const h = harness({});
    h.world.set('web', { status: 'absent' });
    h.loop.start();
    await h.s.advance(10_000);
    expect(h.events).toEqual([]);
    expect(h.restarts).toEqual([]);
    await h.loop.stop();
  });

  it('does not restart a service stopped on purpose (stop marker), and cancels a pending restart', async () => {
    const h = harness({});
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'stopped' });
    await h.s.advance(60_000);
    expect(h.types()).toEqual(['stopped-on-purpose:web']);
    expect(h.restarts).toEqual([]);

    // Started again by `up`, then crashes; `down` lands while the restart waits out its delay.
    h.world.set('web', { status: 'running' });
    await h.s.advance(1000);
    h.world.set('web', { status: 'dead' });
    await h.s.advance(1000);
    expect(h.types().at(-1)).toBe('restarting:web');
    h.world.set('web', { status: 'stopped' });
    await h.s.advance(30_000);
    expect(h.restarts).toEqual([]);
    await h.loop.stop();
  });

  it('restarts a service started again after a stop on purpose that dies before any tick saw it run', async () => {
    const h = harness({});
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'stopped' });
    await h.s.advance(1000);
    // `up web` removes the marker and starts it; it crashes within the same interval, so the
    // next tick finds its record stale and no marker: a death, not "still stopped".
    h.world.set('web', { status: 'dead', exitCode: 137 });
    await h.s.advance(1000);
    expect(h.types()).toEqual(['stopped-on-purpose:web', 'crashed:web', 'restarting:web']);
    await h.s.advance(1000);
    expect(h.restarts).toHaveLength(1);
    await h.loop.stop();
  });

  it('a restart skipped by the re-check under the lock is not reported as a restart', async () => {
    // `down` marks it between the last tick and the restart; the restart's guard says no.
    const h = harness({ restartSkips: true });
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'dead' });
    await h.s.advance(1000);
    await h.s.advance(2000);
    expect(h.restarts).toHaveLength(1);
    expect(h.types()).toEqual(['crashed:web', 'restarting:web', 'stopped-on-purpose:web']);
    await h.s.advance(60_000);
    expect(h.types()).toHaveLength(3);
    await h.loop.stop();
  });

  it('a crash loop ends in exactly one gave-up event after max_restarts restarts', async () => {
    const h = harness({
      policies: { web: { name: 'web', restart: 'always', maxRestarts: 3 } },
      afterRestart: () => ({ status: 'dead', exitCode: 1 }), // dies at once, every time
    });
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'dead', exitCode: 1 });
    await h.s.advance(10 * 60_000);
    expect(h.restarts.map((r) => r.attempt)).toEqual([1, 2, 3]);
    const gaveUp = h.events.filter((e) => e.type === 'gave-up');
    expect(gaveUp).toEqual([
      {
        type: 'gave-up',
        name: 'web',
        message: 'web crashed 4 times in a row; not restarting (max_restarts: 3)',
      },
    ]);
    // Delays between restarts follow the backoff (plus up to one tick to notice the death).
    const gaps = h.restarts.slice(1).map((r, i) => r.at - h.restarts[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(2000);
    expect(gaps[0]).toBeLessThanOrEqual(3000);
    expect(gaps[1]).toBeGreaterThanOrEqual(4000);
    expect(gaps[1]).toBeLessThanOrEqual(5000);
    await h.loop.stop();
  });

  it('a failing restart counts as another failure and the backoff goes on', async () => {
    const h = harness({
      policies: { web: { name: 'web', restart: 'always', maxRestarts: 2 } },
      restartFails: true,
    });
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'dead' });
    await h.s.advance(60_000);
    expect(h.types()).toEqual([
      'crashed:web',
      'restarting:web',
      'restart-failed:web',
      'restarting:web',
      'restart-failed:web',
      'gave-up:web',
    ]);
    await h.loop.stop();
  });

  it('follows restart: no and on-failure with a clean exit, reporting once', async () => {
    const h = harness({
      policies: {
        a: { name: 'a', restart: 'no', maxRestarts: 5 },
        b: { name: 'b', restart: 'on-failure', maxRestarts: 5 },
      },
    });
    h.world.set('a', { status: 'running' });
    h.world.set('b', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('a', { status: 'dead', exitCode: 1 });
    h.world.set('b', { status: 'dead', exitCode: 0 });
    await h.s.advance(10_000);
    expect(h.types()).toEqual(['crashed:a', 'left-down:a', 'crashed:b', 'left-down:b']);
    expect(h.restarts).toEqual([]);
    await h.loop.stop();
  });

  it('never overlaps with itself, even when observe and restart are slow', async () => {
    const h = harness({ observeMs: 2500, restartMs: 1700 });
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(3000);
    h.world.set('web', { status: 'dead' });
    await h.s.advance(60_000);
    expect(h.maxBusy).toBe(1);
    expect(h.restarts.length).toBeGreaterThanOrEqual(1);
    // Ticks are spaced by interval + observe time, not stacked.
    expect(h.observeCalls).toBeLessThanOrEqual(Math.ceil(63_000 / 3500) + 1);
    // stop() waits for the observe in progress, which only ends as fake time moves.
    const stopping = h.loop.stop();
    await h.s.advance(5000);
    await stopping;
    expect(h.s.pendingTimers).toBe(0);
  });

  it('pause() waits for the tick in progress, holds everything, and resume() observes at once', async () => {
    const h = harness({ observeMs: 300 });
    h.world.set('web', { status: 'running' });
    h.loop.start(); // tick in progress until t=300
    let paused = false;
    const pausing = h.loop.pause().then(() => {
      paused = true;
    });
    await h.s.advance(100);
    expect(paused).toBe(false);
    await h.s.advance(200);
    await pausing;
    expect(paused).toBe(true);
    const calls = h.observeCalls;
    h.world.set('web', { status: 'dead' });
    await h.s.advance(10_000);
    expect(h.observeCalls).toBe(calls); // no spinning, no ticks while paused
    expect(h.s.pendingTimers).toBe(0);
    h.loop.resume();
    await h.s.advance(300);
    expect(h.observeCalls).toBe(calls + 1);
    expect(h.types()).toEqual(['crashed:web', 'restarting:web']);
    await h.loop.stop();
  });

  it('a restart that falls due while paused waits, and is re-checked by a tick after resume', async () => {
    const h = harness({});
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'dead' });
    await h.s.advance(1000); // death seen, restart due at 2000
    await h.loop.pause();
    await h.s.advance(5000);
    expect(h.restarts).toEqual([]);
    h.world.set('web', { status: 'running' }); // the reconcile started it itself
    h.loop.resume();
    await h.s.advance(5000);
    expect(h.restarts).toEqual([]);
    await h.loop.stop();
  });

  it('forgets services that are no longer observed (removed from the manifest)', async () => {
    const h = harness({});
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    h.world.set('web', { status: 'dead' });
    await h.s.advance(1000);
    h.world.delete('web');
    await h.s.advance(10_000);
    expect(h.restarts).toEqual([]);
    expect(h.loop.backoffOf('web')).toBeUndefined();
    await h.loop.stop();
  });

  it('reports a failing observe and keeps ticking', async () => {
    const s = new FakeScheduler();
    const events: LivenessEvent[] = [];
    let n = 0;
    const loop = new LivenessLoop({
      scheduler: s,
      policyOf: () => undefined,
      onEvent: (e) => events.push(e),
      restart: async () => {},
      observe: async () => {
        n++;
        if (n === 1) throw new Error('EACCES');
        return new Map();
      },
    });
    loop.start();
    await s.advance(3000);
    expect(events.map((e) => e.type)).toEqual(['observe-failed']);
    expect(n).toBe(4);
    await loop.stop();
    expect(s.pendingTimers).toBe(0);
  });

  it('pausedDuring() holds the loop for the duration of a reconcile, even one that throws', async () => {
    const h = harness({});
    h.world.set('web', { status: 'running' });
    h.loop.start();
    await h.s.advance(0);
    const calls = h.observeCalls;
    const reconcile = pausedDuring(h.loop, async (ms: number) => {
      await h.s.sleep(ms);
      throw new Error('bad manifest');
    });
    const running = reconcile(5000).catch(() => 'rejected');
    await h.s.advance(4999);
    expect(h.observeCalls).toBe(calls);
    await h.s.advance(1);
    expect(await running).toBe('rejected');
    expect(h.observeCalls).toBe(calls + 1); // resumed, and observed at once
    await h.loop.stop();
  });
});
