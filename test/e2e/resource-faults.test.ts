/**
 * Resource faults through the CLI: a log that cannot be written (its parent is a file; a
 * read-only filesystem), a full disk under the state dir (a tiny tmpfs), too few file
 * descriptors (ulimit -n). Each ends with a clear error (exit 1, the path and the reason,
 * no stack trace), and the service already running keeps its PID.
 *
 * The tmpfs cases need mount(2) (root in this sandbox); without it they skip and say why.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectId } from '../../src/core/identity.js';
import { freePort, isGone } from '../helpers/procs.js';
import { taggedByService } from './faults.js';
import { bin, type CliResult, type E2eProject, e2eProject, programs } from './harness.js';

const serve = join(programs, 'serve.mjs');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A project with `a` running; `extra` adds a second service (or a state_dir line) to the manifest. */
async function withRunningA(head = ''): Promise<{
  p: E2eProject;
  aPid: number;
  write: (extra: string) => void;
  /** The PID in a service's record, wherever the manifest put the state dir. */
  pidOf: (name: string) => number | undefined;
  id: string;
}> {
  const p = e2eProject();
  cleanups.push(() => p.cleanup());
  const [a, b] = [await freePort(), await freePort()];
  const write = (extra: string) =>
    p.write(
      `${head}services:\n  a: { command: [node, ${serve}, "${a}"], port: ${a} }\n${extra.replaceAll('PORT_B', String(b))}`,
    );
  write('');
  const up = await p.run(['up']);
  expect(up.code, up.stderr).toBe(0);
  const stateDir = /state_dir: (.*)/.exec(head)?.[1] ?? p.stateDir;
  const pidOf = (name: string): number | undefined => {
    try {
      return (JSON.parse(readFileSync(join(stateDir, 'run', `${name}.json`), 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  };
  // The tag is derived from the state dir: a state_dir of its own means a tag of its own.
  const id = projectId(p.project, stateDir);
  cleanups.push(() => {
    for (const pid of [...taggedByService(id).values()].flat()) process.kill(pid, 'SIGKILL');
  });
  return { p, id, aPid: pidOf('a')!, write, pidOf };
}

function expectCleanFailure(r: CliResult, ...patterns: RegExp[]): void {
  expect(r.code, r.stderr).toBe(1);
  for (const re of patterns) expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at .*:\d+:\d+\)?\n/);
}

function expectAUntouched(
  p: E2eProject,
  aPid: number,
  pidOf?: (name: string) => number | undefined,
  id = p.id,
): void {
  expect(pidOf ? pidOf('a') : p.record('a')?.pid).toBe(aPid);
  expect(isGone(aPid)).toBe(false);
  expect(taggedByService(id).get('a')).toEqual([aPid]);
  expect(taggedByService(id).get('b') ?? []).toEqual([]);
}

function tryMount(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    cleanups.push(() => {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } catch {
        // already unmounted
      }
    });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs -o ${options} is not available here (${String((error as { stderr?: unknown }).stderr ?? error).trim()})`;
  }
}

describe('a log that cannot be written', () => {
  it('its parent is a regular file (ENOTDIR): exit 1 naming the path, a keeps running', async () => {
    const { p, aPid, write } = await withRunningA();
    writeFileSync(join(p.dir, 'blocker'), 'a file, not a dir\n');
    write(
      '  b: { command: [node, SERVE, "PORT_B"], port: PORT_B, log: blocker/b.log }\n'.replace('SERVE', serve),
    );
    const up = await p.run(['up']);
    expectCleanFailure(up, /blocker\/b\.log/, /ENOTDIR|not a directory/);
    expectAUntouched(p, aPid);
  });

  it('on a read-only filesystem (EROFS): exit 1 naming the path, a keeps running', async (ctx) => {
    const { p, aPid, write } = await withRunningA();
    const ro = join(p.dir, 'ro');
    const skip = tryMount(ro, 'size=64k,ro');
    if (skip) {
      console.log(`skipped: ${skip}`);
      ctx.skip();
    }
    write(`  b: { command: [node, ${serve}, "PORT_B"], port: PORT_B, log: ro/b.log }\n`);
    const up = await p.run(['up']);
    expectCleanFailure(up, /ro\/b\.log/, /EROFS|read-only/);
    expectAUntouched(p, aPid);
  });
});

describe('a full disk under the state dir', () => {
  it('with no space: exit 1 naming the path and ENOSPC; a keeps running; with space again, b starts', async (ctx) => {
    const base = e2eProject();
    cleanups.push(() => base.cleanup());
    const tiny = join(base.dir, 'tiny');
    const skip = tryMount(tiny, 'size=64k');
    if (skip) {
      console.log(`skipped: ${skip}`);
      ctx.skip();
    }
    // The state dir (records, lock, default logs) lives on the tiny filesystem.
    const { p, aPid, write, pidOf, id } = await withRunningA(`state_dir: ${tiny}/state\n`);
    const state = join(tiny, 'state');
    const record = (name: string) => readdirSync(join(state, 'run')).includes(`${name}.json`);
    expect(record('a')).toBe(true);
    // Fill it, then leave one page: the lock fits, b's record does not.
    const fill = join(tiny, 'fill');
    for (const spare of [0, 4096]) {
      rmSync(fill, { force: true });
      const avail = Number(
        execFileSync('df', ['-B1', '--output=avail', tiny], { encoding: 'utf8' }).split('\n')[1],
      );
      writeFileSync(fill, Buffer.alloc(Math.max(0, avail - spare)));
      write(`  b: { command: [node, ${serve}, "PORT_B"], port: PORT_B }\n`);
      const up = await p.run(['up']);
      expectCleanFailure(up, new RegExp(state.replaceAll('/', '\\/')), /ENOSPC|no space/);
      expectAUntouched(p, aPid, pidOf, id);
      expect(record('b')).toBe(false);
    }
    rmSync(fill);
    const again = await p.run(['up']);
    expect(again.code, again.stderr).toBe(0);
    expect(pidOf('a')).toBe(aPid);
    expect(taggedByService(id).get('b')).toHaveLength(1);
    await p.ok(['down']);
    expect(taggedByService(id).size).toBe(0);
  });
});

describe('too many open files', () => {
  it('under a tight ulimit -n: a one-line EMFILE error, exit 1, a keeps running; never a stack trace of ours', async () => {
    const { p, aPid, write } = await withRunningA();
    write(`  b: { command: [node, ${serve}, "PORT_B"], port: PORT_B }\n`);
    const upUnder = (limit: number) =>
      new Promise<CliResult>((resolve) => {
        execFile(
          '/bin/sh',
          ['-c', `ulimit -n ${limit} && exec "$0" "$1" up`, process.execPath, bin],
          {
            cwd: p.dir,
            env: { ...process.env, XDG_CACHE_HOME: join(p.dir, '.cache'), UIPROCS_PLAIN: '1', NO_COLOR: '1' },
          },
          (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
        );
      });
    // From a limit too low for Node itself up to one that is enough: every limit where
    // uiprocs' own code runs out of descriptors must end in its one-line error. Below that,
    // Node cannot start or read its main script (it aborts or prints its own trace, before
    // any line of ours); how many descriptors that takes depends on the Node build.
    let clean = 0;
    for (let limit = 14; limit <= 64; limit++) {
      const r = await upUnder(limit);
      expect(p.record('a')?.pid).toBe(aPid);
      expect(isGone(aPid)).toBe(false);
      if (r.code === 0) break;
      // Ours: our own lines, or anything thrown from the bundle (dist/cli in a stack).
      const ours = /^(uiprocs: |✖ )/m.test(r.stderr) || r.stderr.includes('dist/cli');
      if (!ours) continue;
      expectCleanFailure(r, /EMFILE|too many open files/);
      clean++;
    }
    expect(clean, 'no limit made uiprocs itself run out of descriptors').toBeGreaterThan(0);
    // With the limit back, the same up just works.
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    expect(p.record('a')?.pid).toBe(aPid);
  });
});
