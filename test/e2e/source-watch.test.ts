/**
 * `watch:` on a service end to end (issue 22): after `up` has returned (its process is gone,
 * as a closed terminal's would be), the supervisor restarts a real server when its source
 * changes, and the new process answers with the new content; an ignored file leaves the
 * same PID; a burst of 500 files is one restart; a signal action signals the same process;
 * a change made while nothing watched is acted on; out of inotify watches falls back to
 * polling and says so. Real servers on free loopback ports.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import {
  bin,
  type E2eProject,
  e2eProject,
  isGone,
  killSupervisor,
  liveSupervisor,
  programs,
  psRows,
  supervisorLog,
  ticksPass,
  trackProjects,
} from './harness.js';

const serveSource = join(programs, 'serve-source.mjs');
const TRACED = { UIPROCS_WATCH_INTERVAL_MS: '200', UIPROCS_TRACE_TICKS: '1' };
const track = trackProjects();

async function body(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return (await res.text()).trim();
  } catch {
    return undefined;
  }
}

/** A project whose `api` serves src/app.txt, watched with `watch` (YAML text). */
function project(watch: string): E2eProject {
  const p = track(e2eProject());
  mkdirSync(join(p.dir, 'src'), { recursive: true });
  mkdirSync(join(p.dir, 'tmp'), { recursive: true });
  mkdirSync(join(p.dir, 'node_modules', 'lib'), { recursive: true });
  writeFileSync(join(p.dir, 'src', 'app.txt'), 'v1\n');
  writeFileSync(join(p.dir, '.gitignore'), 'build/\n');
  mkdirSync(join(p.dir, 'build'), { recursive: true });
  p.write(
    `services:\n  api:\n    command: node ${serveSource} src/app.txt\n    port: auto\n    watch: ${watch}\n`,
  );
  return p;
}

async function upAndWatching(p: E2eProject, env: Record<string, string> = {}) {
  await p.ok(['up'], { ...TRACED, ...env });
  await liveSupervisor(p);
  await waitFor(() => /api: watching .* for changes/.test(supervisorLog(p)), {
    timeout: 15_000,
    what: () => `the supervisor watching api's files\n${supervisorLog(p)}`,
  });
  const [row] = await psRows(p);
  return { pid: row!.pid!, port: row!.port! };
}

async function newPid(p: E2eProject, old: number) {
  return waitFor(
    async () => {
      const [row] = await psRows(p);
      return row?.status === 'running' && row.pid !== old ? row : undefined;
    },
    { timeout: 15_000, what: () => `a new api process\n${supervisorLog(p)}` },
  );
}

describe('watch: on a service', () => {
  it('restarts it after up has returned when a watched file changes: a new PID answers with the new content, and ps says why', async () => {
    const p = project('[src]');
    const { pid, port } = await upAndWatching(p);
    expect(await body(port)).toBe('v1');
    writeFileSync(join(p.dir, 'src', 'app.txt'), 'v2\n');
    const row = await newPid(p, pid);
    await waitFor(async () => (await body(port)) === 'v2', { timeout: 10_000, what: 'the new content' });
    expect(row.last_restart?.cause).toBe('changed: src/app.txt');
    expect(row.restarts).toBe(1);
    expect(supervisorLog(p)).toMatch(/api: changed: src\/app\.txt; restarting/);
  });

  it('leaves the same PID for changes to ignored files: its ignore globs, .gitignore, node_modules, files outside its paths', async () => {
    const p = project('{ paths: [src, "config/*.toml"], ignore: ["*.log", "tmp/"] }');
    mkdirSync(join(p.dir, 'config'), { recursive: true });
    const { pid } = await upAndWatching(p);
    writeFileSync(join(p.dir, 'src', 'debug.log'), 'x\n');
    mkdirSync(join(p.dir, 'src', 'tmp'), { recursive: true });
    writeFileSync(join(p.dir, 'src', 'tmp', 'cache'), 'x\n');
    writeFileSync(join(p.dir, 'config', 'notes.txt'), 'not a toml\n');
    writeFileSync(join(p.dir, 'build', 'out.js'), 'x\n');
    writeFileSync(join(p.dir, 'node_modules', 'lib', 'index.js'), 'x\n');
    writeFileSync(join(p.dir, 'README'), 'outside the paths\n');
    // Twenty ticks of 200 ms: more than the 300 ms debounce and a restart would take.
    await ticksPass(() => supervisorLog(p), 20, 'the supervisor');
    const [row] = await psRows(p);
    expect(row!.pid).toBe(pid);
    expect(row!.restarts).toBe(0);
    // A glob's match does restart it.
    writeFileSync(join(p.dir, 'config', 'app.toml'), 'x = 1\n');
    expect((await newPid(p, pid)).last_restart?.cause).toBe('changed: config/app.toml');
  });

  it('restarts once for a burst of 500 changed files, naming the first and how many more', async () => {
    const p = project('[src]');
    const { pid } = await upAndWatching(p);
    for (let i = 0; i < 500; i++) writeFileSync(join(p.dir, 'src', `f${i}.txt`), `${i}\n`);
    const row = await newPid(p, pid);
    expect(row.last_restart?.cause).toMatch(/^changed: src\/f\d+\.txt \(\+499 more\)$/);
    await ticksPass(() => supervisorLog(p), 10, 'the supervisor');
    const [after] = await psRows(p);
    expect(after!.pid).toBe(row.pid);
    expect(after!.restarts).toBe(1);
  });

  it('a change while the service is still starting waits for that start, then restarts the process that read the old file', async () => {
    const p = track(e2eProject());
    mkdirSync(join(p.dir, 'src'), { recursive: true });
    writeFileSync(join(p.dir, 'src', 'app.txt'), 'v1\n');
    // Each start takes 1.5 s before the port opens.
    p.write(
      `services:\n  api:\n    command: node ${serveSource} src/app.txt 1500\n    port: auto\n    watch: { paths: [src], debounce: 100ms }\n`,
    );
    const { pid, port } = await upAndWatching(p);
    writeFileSync(join(p.dir, 'src', 'app.txt'), 'v2\n');
    const second = await waitFor(
      () => {
        const r = p.record('api');
        return r !== undefined && r.pid !== pid ? r : undefined;
      },
      { timeout: 10_000, what: 'the restart to begin' },
    );
    // The new process is starting (its port opens in 1.5 s) and has read v2: change it again.
    writeFileSync(join(p.dir, 'src', 'app.txt'), 'v3\n');
    await waitFor(async () => (await body(port)) === 'v3', {
      timeout: 20_000,
      what: () => `v3 served\n${supervisorLog(p)}`,
    });
    const [row] = await psRows(p);
    expect(row!.pid).not.toBe(second.pid);
    expect(row!.restarts).toBe(2);
    // One restart after the other: the second began once the first start was over.
    const log = supervisorLog(p);
    expect(log.match(/api: changed: src\/app\.txt; restarting/g)).toHaveLength(2);
  });

  it('sends the signal of action: SIGHUP to the same process instead of restarting it', async () => {
    const p = project('{ paths: [src], action: SIGHUP, debounce: 100ms }');
    const { pid, port } = await upAndWatching(p);
    writeFileSync(join(p.dir, 'src', 'app.txt'), 'v2\n');
    await waitFor(async () => (await body(port)) === 'v1 hup 1', { timeout: 10_000, what: 'one SIGHUP' });
    const [row] = await psRows(p);
    expect(row!.pid).toBe(pid);
    expect(supervisorLog(p)).toMatch(/api: changed: src\/app\.txt; sent SIGHUP/);
  });

  it('acts on a change made while nothing watched: the next supervisor compares mtimes with the process start', async () => {
    const p = project('[src]');
    const { pid, port } = await upAndWatching(p);
    const supervisor = await liveSupervisor(p);
    killSupervisor(p.stateDir);
    await waitFor(() => isGone(supervisor), { what: 'the supervisor gone' });
    writeFileSync(join(p.dir, 'src', 'app.txt'), 'v3\n');
    // The next `up` has nothing to start but brings a supervisor back, whose first scan sees the edit.
    await p.ok(['up'], TRACED);
    const row = await newPid(p, pid);
    expect(row.last_restart?.cause).toBe('changed: src/app.txt');
    await waitFor(async () => (await body(port)) === 'v3', { timeout: 10_000, what: 'the new content' });
  });

  it('restarts it from a foreground uiprocs watch too', async () => {
    const p = project('[src]');
    const watch = p.start(['watch'], TRACED);
    let err = '';
    watch.stderr?.on('data', (d) => {
      err += String(d);
    });
    await waitFor(() => /api: watching src for changes/.test(err), {
      timeout: 15_000,
      what: () => `watch watching\n${err}`,
    });
    const [row] = await psRows(p);
    writeFileSync(join(p.dir, 'src', 'app.txt'), 'v2\n');
    const after = await newPid(p, row!.pid!);
    expect(after.last_restart?.cause).toBe('changed: src/app.txt');
    await waitFor(async () => (await body(row!.port!)) === 'v2', {
      timeout: 10_000,
      what: 'the new content',
    });
  });
});

/** Whether this machine lets us make a user namespace with its own inotify limit. */
function userNamespaces(): boolean {
  try {
    execFileSync('unshare', ['-U', '-r', 'sh', '-c', 'echo 100 > /proc/sys/user/max_inotify_watches'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!userNamespaces())(
  'watch: out of inotify watches (a real limit, in a user namespace of its own)',
  () => {
    it('says which limit ran out and how to raise it, then restarts by polling', async () => {
      const p = project('[src]');
      for (let i = 0; i < 20; i++) mkdirSync(join(p.dir, 'src', `d${i}`), { recursive: true });
      // `up` (and so the supervisor it spawns) runs in a user namespace allowed 8 inotify watches.
      const script = `echo 8 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"`;
      const up = await new Promise<{ code: number; stderr: string }>((resolveUp) => {
        const child = spawn('unshare', ['-U', '-r', 'sh', '-c', script, process.execPath, bin, 'up'], {
          cwd: p.dir,
          env: {
            ...process.env,
            ...TRACED,
            UIPROCS_PLAIN: '1',
            NO_COLOR: '1',
            XDG_CACHE_HOME: join(p.dir, '.cache'),
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => {
          stderr += String(d);
        });
        child.once('exit', (code: number | null) => resolveUp({ code: code ?? 1, stderr }));
      });
      expect(up.code, up.stderr).toBe(0);
      await liveSupervisor(p);
      await waitFor(() => /api: watching src \(polling\) for changes/.test(supervisorLog(p)), {
        timeout: 20_000,
        what: () => `the polling fallback\n${supervisorLog(p)}`,
      });
      expect(supervisorLog(p)).toMatch(
        /api: out of inotify watches \(user\.max_inotify_watches = 8, this user namespace's limit\); raise it with .*; watching its files by polling every 1 s instead/,
      );
      const [row] = await psRows(p);
      writeFileSync(join(p.dir, 'src', 'd3', 'new.txt'), 'x\n');
      expect((await newPid(p, row!.pid!)).last_restart?.cause).toBe('changed: src/d3/new.txt');
    });
  },
);
