import { describe, expect, it } from 'vitest';
import type { DependencyCondition, Result } from '../../src/core/model.js';
import type { Action, Plan } from '../../src/core/plan.js';
import type { ExecEvent } from '../../src/core/renderer.js';
import { type Effects, execute } from '../../src/engine/executor.js';

/** Effects that record the order of calls and finish when the test says so. */
function fakeEffects(failing: Record<string, 'start' | 'ready' | 'stop' | 'complete'> = {}) {
  const log: string[] = [];
  const gates = new Map<string, () => void>();
  const step = (what: string, service: string, failsHere: boolean): Promise<Result<{ message: string }>> => {
    log.push(`${what} ${service}`);
    return new Promise((resolve) => {
      gates.set(`${what} ${service}`, () =>
        resolve(
          failsHere
            ? { ok: false, error: { reason: 'service-failed', message: `${service} ${what} failed` } }
            : { ok: true, value: { message: `${what} ok` } },
        ),
      );
    });
  };
  const effects: Effects = {
    stop: (s) => step('stop', s, failing[s] === 'stop'),
    removeStale: (s) => step('forget', s, false),
    start: (s) => step('start', s, failing[s] === 'start'),
    waitReady: (s) => step('ready', s, failing[s] === 'ready'),
    waitCompleted: (s) => step('complete', s, failing[s] === 'complete'),
  };
  /** Let every pending gate whose name matches finish, then let promises settle. */
  const release = async (name: string) => {
    for (let i = 0; i < 20 && !gates.has(name); i++) await Promise.resolve();
    const gate = gates.get(name);
    if (gate === undefined) throw new Error(`${name} never ran; ran: ${log.join(', ')}`);
    gates.delete(name);
    gate();
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { effects, log, release, pending: () => [...gates.keys()] };
}

const a = (kind: Action['kind'], service: string): Action => ({ kind, service, cause: 'test' });
const deps =
  (graph: Record<string, Record<string, DependencyCondition>>) =>
  (s: string): Record<string, DependencyCondition> =>
    graph[s] ?? {};

describe('execute', () => {
  it('runs all stops before any start, and independent starts in parallel', async () => {
    const fx = fakeEffects();
    const plan: Plan = {
      actions: [a('stop', 'old'), a('start', 'x'), a('start', 'y')],
      notes: [],
      awaitReady: [],
    };
    const done = execute(plan, fx.effects, { dependsOn: deps({}), emit: () => {} });
    await fx.release('stop old');
    expect(fx.pending().sort()).toEqual(['start x', 'start y']);
    await fx.release('start x');
    await fx.release('start y');
    await fx.release('ready x');
    await fx.release('ready y');
    expect((await done).ok).toBe(true);
  });

  it('waits for a dependency to be ready, or only started, as depends_on says', async () => {
    const fx = fakeEffects();
    const plan: Plan = {
      actions: [a('start', 'api'), a('start', 'web'), a('start', 'worker')],
      notes: [],
      awaitReady: [],
    };
    const graph = deps({ web: { api: 'ready' }, worker: { api: 'started' } });
    const done = execute(plan, fx.effects, { dependsOn: graph, emit: () => {} });
    await fx.release('start api');
    expect(fx.pending().sort()).toEqual(['ready api', 'start worker']);
    await fx.release('ready api');
    expect(fx.pending().sort()).toEqual(['start web', 'start worker']);
    for (const step of ['start web', 'start worker', 'ready web', 'ready worker']) await fx.release(step);
    expect((await done).ok).toBe(true);
  });

  it('skips the dependents of a failed service and says why', async () => {
    const fx = fakeEffects({ api: 'ready' });
    const events: ExecEvent[] = [];
    const plan: Plan = {
      actions: [a('start', 'api'), a('start', 'web'), a('start', 'docs')],
      notes: [],
      awaitReady: [],
    };
    const done = execute(plan, fx.effects, {
      dependsOn: deps({ web: { api: 'ready' } }),
      emit: (e) => events.push(e),
    });
    await fx.release('start api');
    await fx.release('start docs');
    await fx.release('ready api');
    await fx.release('ready docs');
    const result = await done;
    expect(result.ok).toBe(false);
    expect(result.failed.map((f) => f.action.service)).toEqual(['api']);
    expect(result.skipped).toEqual([{ action: a('start', 'web'), why: 'dependency api failed' }]);
    expect(fx.log).not.toContain('start web');
    expect(events.some((e) => e.type === 'done' && e.action.service === 'docs')).toBe(true);
  });

  it('confirms that services already running are ready before their dependents start', async () => {
    const fx = fakeEffects();
    const plan: Plan = { actions: [a('start', 'web')], notes: [], awaitReady: ['api'] };
    const done = execute(plan, fx.effects, { dependsOn: deps({ web: { api: 'ready' } }), emit: () => {} });
    await fx.release('ready api');
    await fx.release('start web');
    await fx.release('ready web');
    expect(fx.log).toEqual(['ready api', 'start web', 'ready web']);
    expect((await done).ok).toBe(true);
  });

  it('stops dependents before what they depend on', async () => {
    const fx = fakeEffects();
    const plan: Plan = { actions: [a('stop', 'web'), a('stop', 'api')], notes: [], awaitReady: [] };
    const done = execute(plan, fx.effects, { dependsOn: deps({ web: { api: 'ready' } }), emit: () => {} });
    expect(fx.pending()).toEqual([]);
    await fx.release('stop web');
    await fx.release('stop api');
    expect(fx.log).toEqual(['stop web', 'stop api']);
    expect((await done).ok).toBe(true);
  });

  it('recreates as stop then start, and does not start what could not be stopped', async () => {
    const fx = fakeEffects({ stuck: 'stop' });
    const plan: Plan = { actions: [a('recreate', 'web'), a('recreate', 'stuck')], notes: [], awaitReady: [] };
    const done = execute(plan, fx.effects, { dependsOn: deps({}), emit: () => {} });
    await fx.release('stop web');
    await fx.release('stop stuck');
    await fx.release('start web');
    await fx.release('ready web');
    const result = await done;
    expect(fx.log).not.toContain('start stuck');
    expect(result.failed.map((f) => f.action.service)).toEqual(['stuck']);
  });

  it('waits for a task to exit, not to be ready, before its dependent starts', async () => {
    const fx = fakeEffects();
    const plan: Plan = { actions: [a('start', 'setup'), a('start', 'web')], notes: [], awaitReady: [] };
    const graph = deps({ web: { setup: 'completed' } });
    const isTask = (s: string) => s === 'setup';
    const done = execute(plan, fx.effects, { dependsOn: graph, emit: () => {}, isTask });
    await fx.release('start setup');
    expect(fx.pending()).toEqual(['complete setup']);
    await fx.release('complete setup');
    await fx.release('start web');
    await fx.release('ready web');
    expect((await done).ok).toBe(true);
    expect(fx.log).toEqual(['start setup', 'complete setup', 'start web', 'ready web']);
  });

  it('skips the dependents of a task that failed, and fails', async () => {
    const fx = fakeEffects({ setup: 'complete' });
    const plan: Plan = { actions: [a('start', 'setup'), a('start', 'web')], notes: [], awaitReady: [] };
    const events: ExecEvent[] = [];
    const done = execute(plan, fx.effects, {
      dependsOn: deps({ web: { setup: 'completed' } }),
      emit: (e) => events.push(e),
      isTask: (s) => s === 'setup',
    });
    await fx.release('start setup');
    await fx.release('complete setup');
    const result = await done;
    expect(result.ok).toBe(false);
    expect(result.failed.map((f) => f.action.service)).toEqual(['setup']);
    expect(result.skipped).toEqual([{ action: a('start', 'web'), why: 'dependency setup failed' }]);
    expect(fx.log).toEqual(['start setup', 'complete setup']);
  });

  it('a task found running (an interrupted up) is waited for to exit', async () => {
    const fx = fakeEffects();
    const plan: Plan = { actions: [a('start', 'web')], notes: [], awaitReady: ['setup'] };
    const done = execute(plan, fx.effects, {
      dependsOn: deps({ web: { setup: 'completed' } }),
      emit: () => {},
      isTask: (s) => s === 'setup',
    });
    await fx.release('complete setup');
    await fx.release('start web');
    await fx.release('ready web');
    expect((await done).ok).toBe(true);
  });
});
