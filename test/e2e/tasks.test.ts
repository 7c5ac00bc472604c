/**
 * One-shot tasks end to end (issue #13, item 3): a service some dependent waits for with
 * `condition: completed` runs to its exit before the dependent starts. Exit 0 lets the
 * dependent start and is remembered (the next `up` does not run it again unless its
 * config changed, `restart` runs it on request); a non-zero exit fails `up` with the code
 * and the task's last lines, and nothing of the chain is left running.
 *
 * The task counts its runs in a file, so "did not run again" is a fact, not a message.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { answers, type E2eProject, e2eProject, isGone, programs, psRows, trackProjects } from './harness.js';

const serve = join(programs, 'serve.mjs');
const track = trackProjects();

async function row(p: E2eProject, name: string): Promise<StatusRow> {
  return (await psRows(p, name))[0]!;
}

/** The STATUS cell of `name` in the plain `ps` table. */
async function statusCell(p: E2eProject, name: string): Promise<string> {
  const r = await p.run(['ps', name]);
  expect(r.code, r.stderr).toBe(0);
  const [header, line] = r.stdout.split('\n');
  return line!.slice(header!.indexOf('STATUS'), header!.indexOf('PID')).trim();
}

const runs = (p: E2eProject): number => {
  const file = join(p.dir, 'runs.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
};

/**
 * `setup` counts its run, takes a moment, then writes prepared.txt; `web` refuses to start
 * (exit 7) unless prepared.txt exists, so web starting at all proves it started after setup.
 */
function chain(p: E2eProject, port: number, task = 'sleep 0.3; echo prepared > prepared.txt', extra = '') {
  p.write(`
services:
  setup:
    command: 'echo run >> runs.txt; ${task}'
  web:
    command: 'test -f prepared.txt || exit 7; exec node ${serve} ${port} 127.0.0.1'
    port: ${port}
    depends_on:
      setup: { condition: completed }
${extra}`);
}

describe('a task that exits 0', () => {
  it('runs before its dependent, is remembered, runs again on a config change and on restart', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    chain(p, port);

    const up = await p.ok(['up']);
    expect(up.stderr).toMatch(/setup +completed in [\d.]+ (ms|s) \(exit 0\)/);
    expect(await answers(port)).toBe(true);
    expect(runs(p)).toBe(1);
    // The dependent started after the task finished: prepared.txt is older than web's start.
    const webRecord = p.record('web')!;
    expect(Date.parse(p.record('setup')!.exit!.finishedAt)).toBeLessThanOrEqual(
      Date.parse(webRecord.startedAt),
    );
    const setupPid = p.record('setup')!.pid;
    expect(isGone(setupPid)).toBe(true);

    const done = await row(p, 'setup');
    expect(done).toMatchObject({ status: 'completed', task: true, exit_code: 0, pid: null, note: null });
    expect(await row(p, 'web')).toMatchObject({ status: 'running', task: false });
    expect(await statusCell(p, 'setup')).toBe('completed');
    expect((await p.run(['ps', '--check'])).code).toBe(0);

    // A second up leaves it alone, says so, and web keeps its process.
    const again = await p.ok(['up']);
    expect(again.stderr).toMatch(/note: setup completed \d+s ago, unchanged/);
    expect(runs(p)).toBe(1);
    expect(p.record('web')!.pid).toBe(webRecord.pid);

    // An edit of the task's command runs it again (web is unchanged and stays).
    chain(p, port, 'sleep 0.1; echo prepared again > prepared.txt');
    const edited = await p.ok(['up']);
    expect(edited.stderr).toMatch(/setup +start: config changed: command/);
    expect(runs(p)).toBe(2);
    expect(readFileSync(join(p.dir, 'prepared.txt'), 'utf8')).toBe('prepared again\n');
    expect(p.record('web')!.pid).toBe(webRecord.pid);

    // restart setup runs it once more, on request.
    const restarted = await p.ok(['restart', 'setup']);
    expect(restarted.stderr).toMatch(/setup +start: restart requested/);
    expect(runs(p)).toBe(3);
    expect(p.record('web')!.pid).toBe(webRecord.pid);

    // down forgets the finished task (nothing to signal) and stops web; the next up runs it.
    const down = await p.ok(['down']);
    expect(down.stderr).toMatch(/setup +forgot stale record\n/);
    expect(p.record('setup')).toBeUndefined();
    expect(await answers(port)).toBe(false);
    expect(p.tagged()).toEqual([]);
    await p.ok(['up']);
    expect(runs(p)).toBe(4);
    await p.ok(['down']);
  });

  it('does not leave what it forked behind: its group ends with it', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    // A task that leaves a sleeper behind in its group and exits 0.
    chain(p, port, '(sleep 300 &) ; echo prepared > prepared.txt');
    await p.ok(['up']);
    expect(await row(p, 'setup')).toMatchObject({ status: 'completed' });
    // Only web's processes carry the tag: the sleeper was stopped with the task.
    const web = p.record('web')!.pid;
    await waitFor(() => p.tagged().every((pid) => pid === web), { what: 'the sleeper to be stopped' });
    await p.ok(['down']);
  });
});

describe('a task that exits 1', () => {
  it('fails up naming the task, its code and its output; the dependent never starts', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    chain(
      p,
      port,
      'test -f fixed && { echo prepared > prepared.txt; exit 0; }; echo "migration failed: table locked"; exit 1',
    );

    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/setup +task exited with code 1 after [\d.]+ (ms|s) \(pid \d+\)/);
    expect(up.stderr).toContain('migration failed: table locked');
    expect(up.stderr).toMatch(/web +skipped: dependency setup failed/);
    expect(up.stderr).toMatch(/did not come up: setup, web/);
    // Nothing of the chain runs: web has no record, its port is closed, nothing carries the tag.
    expect(p.record('web')).toBeUndefined();
    expect(await answers(port)).toBe(false);
    expect(p.tagged()).toEqual([]);
    expect(runs(p)).toBe(1);

    expect(await statusCell(p, 'setup')).toBe('exited (1)');
    expect(await row(p, 'setup')).toMatchObject({ status: 'exited', task: true, exit_code: 1 });
    expect(await row(p, 'web')).toMatchObject({ status: 'stopped' });
    expect((await p.run(['ps', '--check'])).code).toBe(1);

    // Fixed: the next up runs it again, says why, and web comes up.
    writeFileSync(join(p.dir, 'fixed'), '');
    const next = await p.ok(['up']);
    expect(next.stderr).toMatch(/setup +start: failed last time \(exit 1\)/);
    expect(runs(p)).toBe(2);
    expect(await answers(port)).toBe(true);
    await p.ok(['down']);
  });
});

describe('a task run again', () => {
  it('starts each run with a line in its log, and a failure quotes only the last run’s lines', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    chain(p, port, 'echo "output of run $(wc -l < runs.txt)"; exit 1');
    expect((await p.run(['up'])).code).toBe(1);
    const second = await p.run(['up']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('output of run 2');
    expect(second.stderr).not.toContain('output of run 1');
    const log = readFileSync(p.record('setup')!.logPath, 'utf8');
    const banners = log.match(/^── uiprocs: task setup, run at \d{4}-\d\d-\d\dT[\d:.]+Z ──$/gm) ?? [];
    expect(banners, log).toHaveLength(2);
    expect(log.indexOf('output of run 1')).toBeLessThan(log.lastIndexOf('── uiprocs: task setup'));
    expect(log.lastIndexOf('── uiprocs: task setup')).toBeLessThan(log.indexOf('output of run 2'));
  });
});

describe('a task whose up was killed while it ran', () => {
  it('is waited for by the next up, which cannot know its code; the one after runs it again', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    chain(p, port, 'while [ ! -f go ]; do sleep 0.05; done; echo prepared > prepared.txt');
    const first = p.start(['up']);
    const gone = new Promise((resolve) => first.once('exit', resolve));
    const task = await waitFor(() => p.record('setup'), { timeout: 10_000, what: 'the task to be recorded' });
    first.kill('SIGKILL');
    await gone;
    // The task lives on (its own session); ps says it runs, and web never started.
    expect(isGone(task.pid)).toBe(false);
    expect(await row(p, 'setup')).toMatchObject({ status: 'running', task: true });
    expect(p.record('web')).toBeUndefined();

    // The next up waits for it rather than start a second copy or kill it …
    const second = p.start(['up']);
    let err = '';
    second.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const code = new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
    // It holds the lock (it broke the killed up's) while it waits: let the task finish then.
    const lockedBy = () => {
      try {
        return (JSON.parse(readFileSync(join(p.stateDir, 'lock'), 'utf8')) as { pid: number }).pid;
      } catch {
        return undefined;
      }
    };
    await waitFor(() => lockedBy() === second.pid, {
      timeout: 10_000,
      what: 'the second up to take the lock',
    });
    writeFileSync(join(p.dir, 'go'), '');
    const r = { code: await code, stderr: err };
    expect(runs(p)).toBe(1);
    // … but it was not its parent: the code is unknown, which is not a success.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/setup +task exited \(code unknown\) after .*the next up runs it again/);
    expect(p.record('web')).toBeUndefined();

    const third = await p.ok(['up']);
    expect(third.stderr).toMatch(/setup +start: its last run's exit code is unknown/);
    expect(runs(p)).toBe(2);
    expect(await answers(port)).toBe(true);
    await p.ok(['down']);
  });
});

describe('a task under watch', () => {
  it('is not restarted by the liveness loop once it completed, while a crashed service is', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    chain(p, port, 'echo prepared > prepared.txt', '    restart: always\n');
    const child = p.start(['watch'], { UIPROCS_WATCH_INTERVAL_MS: '200', UIPROCS_BACKOFF_BASE_MS: '200' });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => err.includes('watching'), { timeout: 15_000, what: `watch to start:\n${err}` });
    expect(runs(p)).toBe(1);
    expect(await answers(port)).toBe(true);

    // Kill web: its restart proves the liveness loop ticked (many times) since the task ended.
    const before = p.record('web')!.pid;
    process.kill(before, 'SIGKILL');
    await waitFor(() => /web restarted/.test(err), { timeout: 15_000, what: `web to be restarted:\n${err}` });
    expect(p.record('web')!.pid).not.toBe(before);
    expect(await answers(port)).toBe(true);
    expect(err).not.toMatch(/setup (died|restarted|: restart)/);
    expect(runs(p)).toBe(1);
    expect(await row(p, 'setup')).toMatchObject({ status: 'completed' });

    child.kill('SIGINT');
    expect(await exited, err).toBe(0);
    await p.ok(['down']);
  });
});
