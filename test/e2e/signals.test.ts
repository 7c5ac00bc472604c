/**
 * Signals and children through the CLI, the cases lifecycle.test.ts and
 * runtime-stop.test.ts do not already cover: a service that takes 3 s to shut down is
 * given that time (stop_timeout 10s) and not killed early; a service with 50 children is
 * stopped to the last one; and no zombie of ours is left when uiprocs itself runs under a
 * parent that never reaps.
 *
 * What can be proven here: after `down` no live process carries the tag, and no zombie's
 * parent is the CLI or a tagged process. What cannot: services outlive the `up` that
 * started them and are reparented to PID 1 (or the nearest subreaper), which reaps them —
 * late, 1–2 s on these machines — so a zombie whose parent is PID 1 is PID 1's to reap,
 * and a subreaper that never reaps keeps zombies no process manager can remove.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { allPids, answers, statOf, taggedByService } from './faults.js';
import { bin, type E2eProject, e2eProject, isGone, programs } from './harness.js';

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('through the CLI', () => {
  it('a service that traps SIGTERM and takes 3 s gets its 3 s (stop_timeout 10s), no SIGKILL', async () => {
    const p = e2eProject();
    project = p;
    const port = await freePort();
    p.write(
      `services:\n  slowstop: { command: [node, ${join(programs, 'trap-slow.mjs')}, "3000", "${port}"], port: ${port}, stop_timeout: 10s }\n`,
    );
    await p.ok(['up']);
    const pid = p.record('slowstop')!.pid;
    const t0 = performance.now();
    const down = await p.run(['down']);
    const ms = performance.now() - t0;
    expect(down.code, down.stderr).toBe(0);
    expect(ms).toBeGreaterThanOrEqual(2900);
    expect(ms).toBeLessThan(9000);
    expect(down.stderr).not.toMatch(/ignored SIGTERM|killed/);
    expect(down.stderr).toMatch(/slowstop +stopped in [3-8]\.\d s/);
    expect(readFileSync(join(p.stateDir, 'logs/slowstop.log'), 'utf8')).toContain(
      'got SIGTERM, exiting in 3000 ms',
    );
    expect(isGone(pid)).toBe(true);
    expect(p.tagged()).toEqual([]);
  }, 30_000);

  it('a service that forked 50 children (half in their own session) leaves none after down', async () => {
    const p = e2eProject();
    project = p;
    const port = await freePort();
    p.write(
      `services:\n  forky: { command: [node, ${join(programs, 'fork-many.mjs')}, "50", "${port}"], port: ${port} }\n`,
    );
    await p.ok(['up']);
    await waitFor(() => (taggedByService(p.id).get('forky')?.length ?? 0) >= 51, {
      what: 'the leader and 50 children',
    });
    const before = taggedByService(p.id).get('forky')!;
    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(p.tagged()).toEqual([]);
    for (const pid of before) expect(isGone(pid), `pid ${pid}`).toBe(true);
    expect(await answers(port)).toBe(false);
  }, 30_000);
});

describe('zombies', () => {
  it('none of ours remain when uiprocs runs under a parent that never reaps', async () => {
    const p = e2eProject();
    project = p;
    const [a, b] = [await freePort(), await freePort()];
    p.write(`
services:
  a: { command: [node, ${join(programs, 'fork-many.mjs')}, "5", "${a}"], port: ${a} }
  b: { command: sh ${join(programs, 'grandchild.sh')} ${b}, port: ${b} }
`);
    // The wrapper forks the CLI and never waits for anything: the CLI ends as its zombie
    // (the wrapper's, not ours), and nothing the CLI started may end up as one.
    const noReap = (args: string[]) =>
      new Promise<number>((resolve) => {
        const wrapper = spawn(
          'python3',
          [
            '-c',
            'import os,sys,time\npid=os.fork()\nif pid==0:\n  os.execv(sys.argv[1],sys.argv[1:])\nprint(pid,flush=True)\ntime.sleep(30)',
            process.execPath,
            bin,
            ...args,
          ],
          {
            cwd: p.dir,
            env: { ...process.env, XDG_CACHE_HOME: join(p.dir, '.cache'), UIPROCS_PLAIN: '1' },
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        );
        wrapper.stdout.once('data', async (d) => {
          const cli = Number(String(d).trim());
          // Done when the CLI is a zombie of the wrapper (it exited, unreaped).
          await waitFor(() => statOf(cli)?.state === 'Z', {
            timeout: 30_000,
            what: `uiprocs ${args.join(' ')}`,
          });
          wrapper.kill('SIGKILL');
          resolve(cli);
        });
      });
    const upCli = await noReap(['up']);
    for (const port of [a, b]) expect(await answers(port)).toBe(true);
    const tagged = [...taggedByService(p.id).values()].flat();
    expect(tagged.length).toBeGreaterThanOrEqual(7);
    const downCli = await noReap(['down']);
    expect(p.tagged()).toEqual([]);
    // No zombie whose parent is a CLI run or one of the services' processes.
    const ours = new Set([upCli, downCli, ...tagged]);
    const zombiesOfOurs = () =>
      allPids().filter((pid) => statOf(pid)?.state === 'Z' && ours.has(statOf(pid)!.ppid));
    await waitFor(() => zombiesOfOurs().length === 0, {
      timeout: 5000,
      what: 'no zombie with a parent of ours',
    });
    // The services' own PIDs: gone or, for a moment, zombies of PID 1 / the subreaper (its job).
    for (const pid of tagged) expect(isGone(pid)).toBe(true);
  }, 60_000);
});
