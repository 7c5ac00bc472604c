/**
 * `runWatch` in this process with real servers: a save that lands after watch first read
 * the manifest but before its file watcher is armed. No timing can aim at that window from
 * outside, so the `beforeArm` seam saves there; everything else is the real thing (the
 * manifest on disk, chokidar, spawned servers on free loopback ports, /proc).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectId } from '../../src/core/identity.js';
import type { RunRecord } from '../../src/core/model.js';
import { runWatch } from '../../src/duties/foreground-watch.js';
import { getSystem } from '../../src/runtime/system.js';
import { formatFailure } from '../../src/ui/failure.js';
import { plainRenderer } from '../../src/ui/progress.js';
import { answers } from '../e2e/harness.js';
import { freePort, isGone, pidsTagged } from '../helpers/procs.js';
import { program } from '../helpers/temp-project.js';
import { waitFor } from '../helpers/wait.js';

const serve = program('serve.mjs');

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A project dir, its manifest writer, and a watch that ends (with --down-on-exit) on `end()`. */
function watchProject() {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-watch-arm-'));
  const name = `arm${Math.random().toString(36).slice(2, 8)}`;
  const id = projectId(name, join(dir, '.uiprocs'));
  const env = { ...process.env, XDG_CACHE_HOME: join(dir, '.cache'), NO_COLOR: '1' };
  let printed = '';
  const say = (s: string) => {
    printed += s;
  };
  let end!: () => void;
  const done = new Promise<void>((resolve) => {
    end = resolve;
  });
  let running: Promise<unknown> = Promise.resolve();
  cleanup = async () => {
    // A failed test ends its watch too (it stops what it started), then kills what is left.
    end();
    await Promise.race([running.catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    for (const pid of pidsTagged(id)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    dir,
    id,
    printed: () => printed,
    write: (services: string) =>
      writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: ${name}\nservices:\n${services}`),
    pidOf: (service: string) =>
      (JSON.parse(readFileSync(join(dir, '.uiprocs', 'run', `${service}.json`), 'utf8')) as RunRecord).pid,
    end,
    watch: (beforeArm: () => Promise<void>) => {
      const watching = runWatch(
        {
          input: { file: undefined, cwd: dir, env },
          system: getSystem(env),
          renderer: async () => plainRenderer(say, false),
          say: (line) => say(`${line}\n`),
          sayFailure: async (failure) => say(formatFailure(failure, { color: false, cwd: dir })),
          untilStopped: () => ({ done, force: new AbortController().signal }),
        },
        { targets: [], downOnExit: true, beforeArm },
      );
      running = watching;
      return watching;
    },
  };
}

const serviceLine = (name: string, port: number, extra = '') =>
  `  ${name}: { command: node ${serve} ${port} 127.0.0.1, port: ${port}${extra} }\n`;

describe('watch: a save between the first read and the file watcher being armed', () => {
  it('is applied: a service added to the manifest then starts', async () => {
    const p = watchProject();
    const [a, b] = [await freePort(), await freePort()];
    p.write(serviceLine('a', a));
    const running = p.watch(async () => p.write(serviceLine('a', a) + serviceLine('b', b)));
    await waitFor(() => p.printed().includes('watching'), { timeout: 15_000, what: 'watching' });
    await waitFor(() => answers(b), { timeout: 10_000, what: `b to answer; watch printed:\n${p.printed()}` });
    expect(await answers(a)).toBe(true);
    const pids = pidsTagged(p.id);
    expect(pids).toHaveLength(2);

    p.end();
    expect(await running).toEqual({ ok: true, value: 0 });
    for (const pid of pids) expect(isGone(pid)).toBe(true);
    expect(await answers(b)).toBe(false);
  });

  it('is applied: a service whose env file changed runs with the new value', async () => {
    const p = watchProject();
    const a = await freePort();
    writeFileSync(join(p.dir, 'a.env'), 'MODEL=small\n');
    p.write(serviceLine('a', a, ', env_file: a.env'));
    const running = p.watch(async () => writeFileSync(join(p.dir, 'a.env'), 'MODEL=large\n'));
    await waitFor(() => p.printed().includes('watching'), { timeout: 15_000, what: 'watching' });
    const environOfA = () => readFileSync(`/proc/${p.pidOf('a')}/environ`, 'utf8').split('\0');
    await waitFor(() => environOfA().includes('MODEL=large'), {
      timeout: 10_000,
      what: `a to run with MODEL=large; watch printed:\n${p.printed()}`,
    });
    expect(await answers(a)).toBe(true);

    p.end();
    expect(await running).toEqual({ ok: true, value: 0 });
    expect(pidsTagged(p.id)).toEqual([]);
  });
});
