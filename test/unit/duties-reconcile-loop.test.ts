import { describe, expect, it } from 'vitest';
import { FakeScheduler } from '../../src/core/fake-scheduler.js';
import {
  type ReconcileCause,
  ReconcileLoop,
  type ReconcileLoopState,
} from '../../src/duties/reconcile-loop.js';

/** A reconcile the test finishes by hand, counting calls and concurrency. */
function controllableReconcile() {
  const calls: { cause: ReconcileCause; startedAt: number }[] = [];
  const finishers: (() => void)[] = [];
  let running = 0;
  let maxConcurrent = 0;
  return {
    calls,
    get maxConcurrent() {
      return maxConcurrent;
    },
    get running() {
      return running;
    },
    /** Finish the oldest unfinished reconcile. */
    finish() {
      const f = finishers.shift();
      if (f === undefined) throw new Error('no reconcile in flight');
      f();
    },
    fn(scheduler: FakeScheduler) {
      return (cause: ReconcileCause) => {
        calls.push({ cause, startedAt: scheduler.now() });
        running++;
        maxConcurrent = Math.max(maxConcurrent, running);
        return new Promise<void>((resolve) => {
          finishers.push(() => {
            running--;
            resolve();
          });
        });
      };
    },
  };
}

/** A reconcile that takes `ms` of fake time. */
function timedReconcile(scheduler: FakeScheduler, ms: number) {
  const starts: number[] = [];
  let running = 0;
  let maxConcurrent = 0;
  return {
    starts,
    get maxConcurrent() {
      return maxConcurrent;
    },
    fn: async () => {
      starts.push(scheduler.now());
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      await scheduler.sleep(ms);
      running--;
    },
  };
}

describe('ReconcileLoop', () => {
  it('turns a burst of 10 edits within 50 ms into exactly one reconcile, after the debounce', async () => {
    const s = new FakeScheduler();
    const r = timedReconcile(s, 20);
    const loop = new ReconcileLoop(r.fn, { scheduler: s, debounceMs: 100, maxWaitMs: 1000 });
    for (let i = 0; i < 10; i++) {
      loop.changed('/p/uiprocs.yaml');
      await s.advance(5);
    }
    expect(loop.state).toBe('debouncing');
    expect(r.starts).toEqual([]);
    await s.advance(1000);
    // Last edit at t=45, so the quiet window ends at 145.
    expect(r.starts).toEqual([145]);
    expect(loop.state).toBe('idle');
  });

  it('reports the distinct edited paths as the cause', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s });
    loop.changed('/p/uiprocs.yaml');
    loop.changed('/p/.env');
    loop.changed('/p/uiprocs.yaml');
    await s.advance(200);
    expect(r.calls[0]?.cause).toEqual({
      paths: ['/p/uiprocs.yaml', '/p/.env'],
      firstChangeAt: 0,
      lastChangeAt: 0,
    });
    r.finish();
    await s.advance(0);
    expect(loop.state).toBe('idle');
  });

  it('caps the wait with maxWaitMs when edits keep coming (50 ms gaps for 2 s)', async () => {
    const s = new FakeScheduler();
    const r = timedReconcile(s, 10);
    const loop = new ReconcileLoop(r.fn, { scheduler: s, debounceMs: 100, maxWaitMs: 1000 });
    for (let t = 0; t < 2000; t += 50) {
      loop.changed('/p/uiprocs.yaml');
      await s.advance(50);
    }
    await s.advance(2000);
    // Without the cap the window would slide until 2050. Batch 1 (edits from t=0) is cut
    // at 1000; the edit at 1000 lands during that reconcile and is queued; batch 2 (edits
    // 1000..1950) is cut 1 s after its first edit, at 2000, and includes the last edit.
    expect(r.starts).toEqual([1000, 2000]);
    expect(r.maxConcurrent).toBe(1);
    expect(loop.state).toBe('idle');
  });

  it('queues exactly one more reconcile for edits made during a reconcile, however many', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s, debounceMs: 100 });
    loop.changed('/p/uiprocs.yaml');
    await s.advance(100);
    expect(loop.state).toBe('reconciling');
    for (let i = 0; i < 5; i++) {
      loop.changed('/p/uiprocs.yaml');
      await s.advance(10);
    }
    expect(loop.state).toBe('queued');
    expect(r.calls).toHaveLength(1);
    r.finish();
    await s.advance(0);
    expect(loop.state).toBe('debouncing');
    await s.advance(1000);
    expect(r.calls).toHaveLength(2);
    r.finish();
    await s.advance(5000);
    expect(r.calls).toHaveLength(2);
    expect(r.maxConcurrent).toBe(1);
    expect(loop.state).toBe('idle');
  });

  it('runs the queued reconcile right away when its edits are older than the debounce window', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s, debounceMs: 100 });
    loop.changed('/p/uiprocs.yaml');
    await s.advance(100);
    loop.changed('/p/uiprocs.yaml');
    await s.advance(500); // a slow reconcile
    r.finish();
    await s.advance(0);
    expect(r.calls.map((c) => c.startedAt)).toEqual([100, 600]);
  });

  it('never runs the reconcile concurrently with itself under a random edit storm', async () => {
    const s = new FakeScheduler();
    const r = timedReconcile(s, 170);
    const loop = new ReconcileLoop(r.fn, { scheduler: s, debounceMs: 100, maxWaitMs: 300 });
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 300; i++) {
      loop.changed(rand() < 0.5 ? '/p/a' : '/p/b');
      await s.advance(Math.floor(rand() * 120));
    }
    await s.advance(5000);
    expect(r.maxConcurrent).toBe(1);
    expect(r.starts.length).toBeGreaterThan(10);
    expect(loop.state).toBe('idle');
  });

  it('keeps going after a reconcile rejects, and reports the error', async () => {
    const s = new FakeScheduler();
    const errors: unknown[] = [];
    let calls = 0;
    const loop = new ReconcileLoop(
      async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      { scheduler: s, onError: (e) => errors.push(e) },
    );
    loop.changed('/p/m');
    await s.advance(200);
    loop.changed('/p/m');
    await s.advance(200);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    expect(loop.state).toBe('idle');
  });

  it('stop() during a reconcile waits for it, then drops queued work', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s });
    loop.changed('/p/m');
    await s.advance(100);
    loop.changed('/p/m'); // queued
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await s.advance(1000);
    expect(stopped).toBe(false);
    expect(r.running).toBe(1);
    r.finish();
    await stopping;
    expect(stopped).toBe(true);
    expect(loop.state).toBe('stopped');
    loop.changed('/p/m');
    await s.advance(1000);
    expect(r.calls).toHaveLength(1);
    expect(s.pendingTimers).toBe(0);
  });

  it('stop() while debouncing cancels the timer and resolves at once', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s });
    loop.changed('/p/m');
    await loop.stop();
    expect(s.pendingTimers).toBe(0);
    await s.advance(1000);
    expect(r.calls).toHaveLength(0);
  });

  it('walks idle -> debouncing -> reconciling -> queued -> debouncing -> reconciling -> idle', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const seen: ReconcileLoopState[] = [];
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s, onStateChange: (_from, to) => seen.push(to) });
    loop.changed('/p/m');
    await s.advance(100);
    loop.changed('/p/m');
    r.finish();
    await s.advance(100);
    r.finish();
    await s.advance(0);
    expect(seen).toEqual(['debouncing', 'reconciling', 'queued', 'debouncing', 'reconciling', 'idle']);
  });
});

describe('ReconcileLoop.runNow (watch’s first converge)', () => {
  it('runs the task at once; edits made meanwhile get exactly one reconcile after it, never beside it', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s, debounceMs: 100 });
    let finishTask!: () => void;
    let taskRunning = false;
    const first = loop.runNow(async () => {
      taskRunning = true;
      await new Promise<void>((resolve) => {
        finishTask = resolve;
      });
      taskRunning = false;
    });
    expect(loop.state).toBe('reconciling');
    for (let i = 0; i < 5; i++) {
      loop.changed('/p/uiprocs.yaml');
      await s.advance(500); // a slow first converge: seconds pass
    }
    expect(loop.state).toBe('queued');
    expect(r.calls).toHaveLength(0);
    finishTask();
    await first;
    expect(taskRunning).toBe(false);
    expect(loop.state).toBe('debouncing');
    await s.advance(100);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]!.cause.paths).toEqual(['/p/uiprocs.yaml']);
    r.finish();
    await s.advance(5000);
    expect(r.calls).toHaveLength(1);
    expect(loop.state).toBe('idle');
  });

  it('keeps a batch that was debouncing for after the task', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s, debounceMs: 100 });
    loop.changed('/p/a.env');
    await s.advance(50);
    const first = loop.runNow(() => s.sleep(300));
    expect(loop.state).toBe('queued');
    await s.advance(299);
    expect(r.calls).toHaveLength(0); // its debounce timer (due at 150) did not fire beside the task
    await s.advance(1);
    await first;
    // Its quiet time is long over, so it runs as soon as the task ends.
    expect(r.calls.map((c) => [c.startedAt, c.cause.paths])).toEqual([[350, ['/p/a.env']]]);
  });

  it("rejects with the task's error, and the loop carries on", async () => {
    const s = new FakeScheduler();
    const errors: unknown[] = [];
    const r = timedReconcile(s, 10);
    const loop = new ReconcileLoop(r.fn, { scheduler: s, onError: (e) => errors.push(e) });
    await expect(loop.runNow(async () => Promise.reject(new Error('EMFILE')))).rejects.toThrow('EMFILE');
    expect(errors).toEqual([]);
    expect(loop.state).toBe('idle');
    loop.changed('/p/m');
    await s.advance(200);
    expect(r.starts).toHaveLength(1);
  });

  it('refuses to run beside a reconcile, and does nothing once stopped', async () => {
    const s = new FakeScheduler();
    const r = controllableReconcile();
    const loop = new ReconcileLoop(r.fn(s), { scheduler: s, debounceMs: 100 });
    loop.changed('/p/m');
    await s.advance(100);
    await expect(loop.runNow(async () => {})).rejects.toThrow(/while a reconcile runs/);
    r.finish();
    await loop.stop();
    let ran = false;
    await loop.runNow(async () => {
      ran = true;
    });
    expect(ran).toBe(false);
  });
});
