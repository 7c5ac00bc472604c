/**
 * The health state machine (core/health.ts) and the health loop (duties/health-loop.ts)
 * on a fake clock: docker's semantics (start_period, retries in a row, recovery), one
 * probe at a time per process, a slow probe failing at its timeout, a new PID starting
 * afresh.
 */
import { describe, expect, it } from 'vitest';
import { FakeScheduler } from '../../src/core/fake-scheduler.js';
import {
  type HealthState,
  initialHealth,
  noteProbe,
  type ProbeOutcome,
  unhealthyCause,
} from '../../src/core/health.js';
import type { HealthSpec } from '../../src/core/model.js';
import { type HealthEvent, HealthLoop, type HealthTarget } from '../../src/duties/health-loop.js';

const policy = { retries: 3, startPeriod: 0 };
const fail = (detail = 'GET /health → 500'): ProbeOutcome => ({ ok: false, detail });
const pass: ProbeOutcome = { ok: true };

/** Feeds outcomes at 1 s apart from the process start; returns every step's status. */
function run(
  outcomes: ProbeOutcome[],
  p = policy,
): { states: HealthState[]; became: (string | undefined)[] } {
  let state = initialHealth();
  const states: HealthState[] = [];
  const became: (string | undefined)[] = [];
  outcomes.forEach((o, i) => {
    const step = noteProbe(state, o, { sinceStart: i * 1000, at: new Date(i * 1000).toISOString() }, p);
    state = step.state;
    states.push(state);
    became.push(step.became);
  });
  return { states, became };
}

describe('health state machine', () => {
  it('starts in starting; a success makes it healthy', () => {
    expect(initialHealth().status).toBe('starting');
    const { states, became } = run([pass, pass]);
    expect(states.map((s) => s.status)).toEqual(['healthy', 'healthy']);
    expect(became).toEqual(['healthy', undefined]);
  });

  it('becomes unhealthy after `retries` failures in a row, and not before', () => {
    const { states, became } = run([pass, fail(), fail(), fail(), fail()]);
    expect(states.map((s) => s.status)).toEqual(['healthy', 'healthy', 'healthy', 'unhealthy', 'unhealthy']);
    expect(became).toEqual(['healthy', undefined, undefined, 'unhealthy', undefined]);
    expect(states[3]!.failures).toBe(3);
    expect(unhealthyCause(states[3]!)).toBe('unhealthy: GET /health → 500 (3 in a row)');
  });

  it('a success in between resets the streak', () => {
    const { states } = run([pass, fail(), fail(), pass, fail(), fail()]);
    expect(states.map((s) => s.status)).toEqual(Array(6).fill('healthy'));
    expect(states.at(-1)!.failures).toBe(2);
  });

  it('an unhealthy process that answers again is healthy', () => {
    const { states, became } = run([fail(), fail(), fail(), pass]);
    expect(states.map((s) => s.status)).toEqual(['starting', 'starting', 'unhealthy', 'healthy']);
    expect(became.at(-1)).toBe('healthy');
    expect(states.at(-1)!.failures).toBe(0);
  });

  it('failures inside start_period do not count; a success inside it makes it healthy', () => {
    const p = { retries: 2, startPeriod: 3000 };
    // at 0, 1000, 2000 ms: inside; 3000 and 4000: counted.
    const { states } = run([fail(), fail(), fail(), fail('x'), fail('y')], p);
    expect(states.map((s) => s.status)).toEqual([
      'starting',
      'starting',
      'starting',
      'starting',
      'unhealthy',
    ]);
    expect(states[2]!.failures).toBe(0);
    expect(states[2]!.lastFailure?.message).toBe('GET /health → 500');
    expect(unhealthyCause(states[4]!)).toBe('unhealthy: y (2 in a row)');
    expect(run([fail(), pass], p).states.map((s) => s.status)).toEqual(['starting', 'healthy']);
  });

  it('a success ends the start period: a healthy process inside it that fails is counted at once', () => {
    const p = { retries: 2, startPeriod: 10_000 };
    // at 0 ms healthy; 1000 and 2000 ms, still inside start_period, count.
    const { states } = run([pass, fail(), fail()], p);
    expect(states.map((s) => s.status)).toEqual(['healthy', 'healthy', 'unhealthy']);
  });
});

const spec = (over: Partial<HealthSpec> = {}): HealthSpec => ({
  check: { kind: 'http', target: '/health' },
  interval: 1000,
  timeout: 500,
  retries: 3,
  startPeriod: 0,
  ...over,
});

/** A fake world: the targets the loop sees, and a probe whose outcome and duration a test sets. */
function harness(opts: { probeMs?: number; spec?: Partial<HealthSpec> } = {}) {
  const s = new FakeScheduler(1_000_000);
  let targets: HealthTarget[] = [{ name: 'web', key: '100:1', spec: spec(opts.spec), startedAt: s.now() }];
  let outcome: ProbeOutcome = pass;
  let busy = 0;
  let maxBusy = 0;
  const probes: { key: string; at: number }[] = [];
  const events: HealthEvent[] = [];
  const loop = new HealthLoop({
    scheduler: s,
    wallNow: () => s.now(),
    syncMs: 1000,
    targets: async () => targets,
    probe: async (t) => {
      busy++;
      maxBusy = Math.max(maxBusy, busy);
      probes.push({ key: t.key, at: s.now() });
      if (opts.probeMs) await s.sleep(opts.probeMs);
      busy--;
      return outcome;
    },
    onEvent: (e) => events.push(e),
  });
  return {
    s,
    loop,
    probes,
    events,
    maxBusy: () => maxBusy,
    set: (o: ProbeOutcome) => {
      outcome = o;
    },
    setTargets: (t: HealthTarget[]) => {
      targets = t;
    },
    became: () =>
      events.flatMap((e) => (e.type === 'changed' && e.became ? [`${e.target.key} ${e.became}`] : [])),
  };
}

describe('health loop', () => {
  it('probes every interval and reports healthy, then unhealthy after retries failures', async () => {
    const h = harness();
    h.loop.start();
    await h.s.advance(0);
    expect(h.loop.stateOf('web')?.status).toBe('healthy');
    h.set(fail());
    await h.s.advance(2000);
    expect(h.loop.stateOf('web')?.status).toBe('healthy');
    await h.s.advance(1000);
    expect(h.loop.stateOf('web')?.status).toBe('unhealthy');
    expect(h.probes.map((p) => p.at - 1_000_000)).toEqual([0, 1000, 2000, 3000]);
    expect(h.became()).toEqual(['100:1 healthy', '100:1 unhealthy']);
    // The first event is the fresh `starting` state, so a reader sees it before any probe ends.
    expect(h.events[0]).toMatchObject({
      type: 'changed',
      previous: undefined,
      state: { status: 'starting' },
    });
    await h.loop.stop();
    expect(h.s.pendingTimers).toBe(0);
  });

  it('a probe slower than the timeout fails at the timeout, and the next never overlaps it', async () => {
    const h = harness({ probeMs: 1500, spec: { interval: 200, timeout: 500, retries: 2 } });
    h.loop.start();
    await h.s.advance(500);
    expect(h.loop.stateOf('web')).toMatchObject({
      status: 'starting',
      failures: 1,
      lastFailure: { message: 'no answer within 500 ms' },
    });
    await h.s.advance(4000);
    expect(h.maxBusy()).toBe(1);
    // Each attempt begins only once the previous one settled (1500 ms each).
    const gaps = h.probes.slice(1).map((p, i) => p.at - h.probes[i]!.at);
    expect(gaps.every((g) => g >= 1500)).toBe(true);
    expect(h.loop.stateOf('web')?.status).toBe('unhealthy');
    // stop() waits for the probe in flight, which ends at its own pace.
    const stopping = h.loop.stop();
    await h.s.advance(1500);
    await stopping;
    expect(h.s.pendingTimers).toBe(0);
  });

  it('a new PID is tracked afresh in starting; the old one is forgotten', async () => {
    const h = harness();
    h.set(fail());
    h.loop.start();
    await h.s.advance(2000);
    expect(h.loop.stateOf('web')?.status).toBe('unhealthy');
    h.set(pass);
    h.setTargets([{ name: 'web', key: '200:7', spec: spec(), startedAt: h.s.now() }]);
    h.loop.refresh();
    await h.s.advance(0);
    expect(h.events.some((e) => e.type === 'forgotten' && e.key === '100:1')).toBe(true);
    const fresh = h.events.find((e) => e.type === 'changed' && e.target.key === '200:7');
    expect(fresh).toMatchObject({ state: { status: 'starting', failures: 0 } });
    expect(h.loop.stateOf('web')?.status).toBe('healthy');
    expect(h.became()).toEqual(['100:1 unhealthy', '200:7 healthy']);
    await h.loop.stop();
  });

  it('stops probing a service that no longer runs', async () => {
    const h = harness();
    h.loop.start();
    await h.s.advance(1000);
    const count = h.probes.length;
    h.setTargets([]);
    await h.s.advance(5000);
    expect(h.probes.length).toBeLessThanOrEqual(count + 1);
    expect(h.loop.stateOf('web')).toBeUndefined();
    await h.loop.stop();
    expect(h.s.pendingTimers).toBe(0);
  });
});
