import { describe, expect, it } from 'vitest';
import { RestartLedger } from '../../src/core/restart-ledger.js';

const policy = (maxRestarts: number, restart: 'always' | 'on-failure' | 'no' = 'always') => ({
  name: 'api',
  restart,
  maxRestarts,
});
const failed = { code: null };

describe('the restart ledger: one policy, one streak per cause', () => {
  it('gives up after max_restarts unhealthy restarts in a row, and says so once', () => {
    const ledger = new RestartLedger();
    const actions: string[] = [];
    let t = 0;
    for (let i = 0; i < 4; i++) {
      // Each new process passes its first checks, then fails again: still one streak.
      t += 5_000;
      ledger.fine('api', 'unhealthy', t);
      t += 5_000;
      actions.push(ledger.decide('api', 'unhealthy', policy(2), failed, t).action);
    }
    expect(actions).toEqual(['restart', 'restart', 'give-up', 'leave']);
    expect(ledger.restarts('api', 'unhealthy')).toBe(2);
  });

  it('an unhealthy streak given up ends only after a minute healthy, not at the first pass', () => {
    const ledger = new RestartLedger();
    ledger.decide('api', 'unhealthy', policy(0), failed, 0);
    ledger.fine('api', 'unhealthy', 1_000);
    expect(ledger.decide('api', 'unhealthy', policy(0), failed, 30_000).action).toBe('leave');
    ledger.fine('api', 'unhealthy', 31_000);
    expect(ledger.decide('api', 'unhealthy', policy(1), failed, 91_000)).toMatchObject({
      action: 'restart',
      attempt: 1,
    });
  });

  it('a memory streak resets once a process ran a minute under its limit (from its start)', () => {
    const ledger = new RestartLedger();
    const started = 100_000;
    ledger.decide('api', 'memory', policy(3), failed, started - 1);
    ledger.decide('api', 'memory', policy(3), failed, started);
    expect(ledger.restarts('api', 'memory')).toBe(2);
    // Under its limit, but not yet for a minute: the streak stays.
    ledger.fine('api', 'memory', started + 59_000, started);
    expect(ledger.restarts('api', 'memory')).toBe(2);
    ledger.fine('api', 'memory', started + 60_000, started);
    expect(ledger.restarts('api', 'memory')).toBe(0);
    expect(ledger.decide('api', 'memory', policy(3), failed, started + 61_000)).toMatchObject({ attempt: 1 });
  });

  it('a crash streak given up ends when the service is seen running again (someone started it)', () => {
    const ledger = new RestartLedger();
    expect(ledger.decide('api', 'crash', policy(0), { code: 1 }, 0).action).toBe('give-up');
    expect(ledger.decide('api', 'crash', policy(0), { code: 1 }, 1).action).toBe('leave');
    ledger.fine('api', 'crash', 2);
    expect(ledger.decide('api', 'crash', policy(1), { code: 1 }, 3)).toMatchObject({
      action: 'restart',
      attempt: 1,
    });
  });

  it('keeps each cause apart, and the backoff delay is the policy’s', () => {
    const ledger = new RestartLedger();
    const crash = [0, 1, 2].map((i) => ledger.decide('api', 'crash', policy(5), { code: 1 }, i));
    expect(crash.map((d) => (d.action === 'restart' ? d.delayMs : -1))).toEqual([1000, 2000, 4000]);
    expect(ledger.restarts('api', 'unhealthy')).toBe(0);
    expect(ledger.decide('api', 'unhealthy', policy(5), failed, 3)).toMatchObject({ attempt: 1 });
  });

  it('a restart that did not happen is not counted, unless a later one was decided meanwhile', () => {
    const ledger = new RestartLedger();
    ledger.decide('api', 'memory', policy(3), failed, 0);
    ledger.undo('api', 'memory', 1);
    expect(ledger.restarts('api', 'memory')).toBe(0);
    ledger.decide('api', 'memory', policy(3), failed, 1);
    ledger.decide('api', 'memory', policy(3), failed, 2);
    ledger.undo('api', 'memory', 1);
    expect(ledger.restarts('api', 'memory')).toBe(2);
  });

  it('restart: no and a clean exit under on-failure leave it, whatever the cause', () => {
    const ledger = new RestartLedger();
    expect(ledger.decide('api', 'memory', policy(3, 'no'), failed, 0).action).toBe('leave');
    expect(ledger.decide('api', 'crash', policy(3, 'on-failure'), { code: 0 }, 0).action).toBe('leave');
  });
});
