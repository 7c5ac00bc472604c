import { describe, expect, it } from 'vitest';
import {
  type BackoffState,
  backoffDelay,
  decide,
  freshBackoff,
  noteRunning,
  type ServicePolicy,
} from '../../src/core/restart-policy.js';

const web = (restart: ServicePolicy['restart'], maxRestarts = 100): ServicePolicy => ({
  name: 'web',
  restart,
  maxRestarts,
});

/** Crash `n` times, each right after the previous restart; returns the delays seen. */
function crashLoop(policy: ServicePolicy, n: number, start: BackoffState = freshBackoff()) {
  let state = start;
  let now = 0;
  const delays: number[] = [];
  const decisions = [];
  for (let i = 0; i < n; i++) {
    const out = decide(state, policy, { code: 1 }, now);
    decisions.push(out.decision);
    state = out.state;
    if (out.decision.action !== 'restart') break;
    delays.push(out.decision.delayMs);
    now += out.decision.delayMs;
    state = noteRunning(state, now); // restarted; it runs a little, then crashes again
    now += 500;
  }
  return { delays, decisions, state, now };
}

describe('backoff', () => {
  it('doubles from 1 s and caps at 30 s: 1, 2, 4, 8, 16, 30, 30', () => {
    expect(crashLoop(web('always'), 7).delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelay(2000)).toBe(30000);
  });

  it('resets the streak after 60 s of healthy uptime', () => {
    const { state, now } = crashLoop(web('always'), 4);
    expect(state.restarts).toBe(4);
    // Seen running at every tick for a minute…
    let s = state;
    for (let t = now; t <= now + 60_000; t += 1000) s = noteRunning(s, t);
    expect(s.restarts).toBe(0);
    const next = decide(s, web('always'), { code: 1 }, now + 61_000);
    expect(next.decision).toEqual({ action: 'restart', delayMs: 1000, attempt: 1 });
  });

  it('resets at the moment of death too, if the uptime was long enough between observations', () => {
    const { state, now } = crashLoop(web('always'), 4);
    const s = noteRunning(state, now); // seen once, then nothing until it dies a minute later
    const next = decide(s, web('always'), { code: 1 }, now + 60_000);
    expect(next.decision).toMatchObject({ action: 'restart', delayMs: 1000 });
  });

  it('does not reset on uptime shorter than 60 s', () => {
    const { state, now } = crashLoop(web('always'), 2);
    const s = noteRunning(state, now);
    expect(decide(s, web('always'), { code: 1 }, now + 59_000).decision).toMatchObject({ delayMs: 4000 });
  });

  it('on-failure restarts on a non-zero or unknown exit, not on a clean one', () => {
    const f = freshBackoff();
    expect(decide(f, web('on-failure'), { code: 3 }, 0).decision.action).toBe('restart');
    expect(decide(f, web('on-failure'), { code: null }, 0).decision.action).toBe('restart');
    const clean = decide(f, web('on-failure'), { code: 0 }, 0).decision;
    expect(clean).toEqual({ action: 'leave', why: 'web exited cleanly (code 0); restart: on-failure' });
  });

  it('always restarts on any exit, no never does', () => {
    const f = freshBackoff();
    for (const code of [0, 1, null]) {
      expect(decide(f, web('always'), { code }, 0).decision.action).toBe('restart');
      expect(decide(f, web('no'), { code }, 0).decision.action).toBe('leave');
    }
    expect(decide(f, web('no'), { code: null }, 0).decision).toEqual({
      action: 'leave',
      why: 'web exited (status unknown); restart: no',
    });
  });

  it('unknown exits count as failures toward max_restarts', () => {
    let state = freshBackoff();
    const actions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const out = decide(state, web('on-failure', 2), { code: null }, i * 100);
      state = out.state;
      actions.push(out.decision.action);
    }
    expect(actions).toEqual(['restart', 'restart', 'give-up', 'leave']);
  });

  it('gives up after max_restarts consecutive restarts, with a message that says why', () => {
    const { decisions, state } = crashLoop(web('always', 5), 10);
    expect(decisions.map((d) => d.action)).toEqual([
      'restart',
      'restart',
      'restart',
      'restart',
      'restart',
      'give-up',
    ]);
    expect(decisions.at(-1)).toEqual({
      action: 'give-up',
      why: 'web crashed 6 times in a row; not restarting (max_restarts: 5)',
    });
    expect(state.gaveUp).toBe(true);
    // Later deaths are not decided again…
    expect(decide(state, web('always', 5), { code: 1 }, 1e9).decision.action).toBe('leave');
    // …until someone starts it and it is seen running: a clean slate.
    const revived = noteRunning(state, 1e9);
    expect(revived).toMatchObject({ gaveUp: false, restarts: 0 });
  });

  it('max_restarts: 0 reports the first crash instead of restarting', () => {
    expect(decide(freshBackoff(), web('always', 0), { code: 1 }, 0).decision).toEqual({
      action: 'give-up',
      why: 'web crashed; not restarting (max_restarts: 0)',
    });
  });

  it('numbers attempts and sets nextAllowedAt', () => {
    const a = decide(freshBackoff(), web('always'), { code: 1 }, 5000);
    expect(a.decision).toEqual({ action: 'restart', delayMs: 1000, attempt: 1 });
    expect(a.state).toEqual({ restarts: 1, nextAllowedAt: 6000, healthySince: null, gaveUp: false });
    const b = decide(a.state, web('always'), { code: 1 }, 6500);
    expect(b.decision).toEqual({ action: 'restart', delayMs: 2000, attempt: 2 });
  });
});
