/**
 * The detached supervisor end to end (issue 13): `up` of services with restart policies
 * leaves one supervisor that brings a `kill -9`ed server back with no uiprocs in the
 * foreground; `down` leaves nothing behind; a foreground watch takes the duties over.
 * Real servers on free loopback ports; the supervisor is found by its record (and, to prove
 * there is no other, by scanning /proc for `__supervise --state-dir <this test's dir>`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argvOf, freePort, pidsTagged } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import {
  answers,
  bin,
  e2eProject,
  isGone,
  liveSupervisor,
  programs,
  psRows,
  supervisorLog,
  supervisorRecord,
  ticksPass,
  trackProjects,
} from './harness.js';

const serve = join(programs, 'serve.mjs');
const FAST = { UIPROCS_WATCH_INTERVAL_MS: '200', UIPROCS_BACKOFF_BASE_MS: '200' };
/** FAST, and the supervisor logs `tick N` after each liveness tick: what "nothing happened" waits for. */
const TRACED = { ...FAST, UIPROCS_TRACE_TICKS: '1' };

const track = trackProjects();

const line = (name: string, port: number, extra = ', restart: always') =>
  `  ${name}: { command: node ${serve}, port: ${port}${extra} }\n`;

/** Every live process running `__supervise --state-dir <stateDir>` (a check, not how uiprocs finds it). */
function supervisorProcesses(stateDir: string): number[] {
  const out: number[] = [];
  for (const name of safeList('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = argvOf(Number(name));
    const at = argv.indexOf('__supervise');
    if (at >= 0 && argv[at + 2] === stateDir && !isGone(Number(name))) out.push(Number(name));
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe('the supervisor', () => {
  it('brings a kill -9ed restart: always server back within 3 s with nothing in the foreground; down leaves nothing', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port)}`);
    await p.ok(['up']);
    const sup = await liveSupervisor(p);
    expect(supervisorProcesses(p.stateDir)).toEqual([sup]);
    // Its first tick has seen web running (else a kill before it is a death it never saw).
    await waitFor(() => supervisorLog(p).includes('supervising web'), { what: 'the supervisor to start' });
    const old = p.record('web')!.pid;
    process.kill(old, 'SIGKILL');
    const killedAt = performance.now();
    await waitFor(async () => p.record('web')?.pid !== old && (await answers(port)), {
      timeout: 10_000,
      interval: 20,
      what: 'web to answer again',
    });
    const back = performance.now() - killedAt;
    console.log(`supervisor: kill -9 → port answers again after ${back.toFixed(0)} ms`);
    expect(back).toBeLessThan(3000);
    const row = (await psRows(p, 'web'))[0]!;
    expect(row).toMatchObject({ status: 'running', restarts: 1, supervised: true });
    expect(row.pid).not.toBe(old);
    const table = await p.ok(['ps']);
    expect(table.stdout).toMatch(new RegExp(`supervisor: pid ${sup}, up \\S+, keeping web alive`));
    expect(supervisorLog(p)).toMatch(/Z web died \(exit code unknown\)\n.*Z web: restart 1 in 0\.1 s\n/);

    await p.ok(['down']);
    expect(isGone(sup)).toBe(true);
    expect(supervisorProcesses(p.stateDir)).toEqual([]);
    expect(supervisorRecord(p.stateDir)).toBeUndefined();
    expect(pidsTagged(p.id)).toEqual([]);
    expect(await answers(port)).toBe(false);
  });

  it('is started for services without restart policies only to stamp their logs: it keeps nothing alive, and down stops it', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port, '')}`);
    await p.ok(['up']);
    expect(await answers(port)).toBe(true);
    const sup = await liveSupervisor(p);
    expect(supervisorProcesses(p.stateDir)).toEqual([sup]);
    expect((await p.ok(['ps'])).stdout).toMatch(
      /supervisor: pid \d+, up \S+, stamping logs, nothing to keep alive/,
    );
    expect((await psRows(p))[0]!.supervised).toBe(false);
    await p.ok(['down']);
    expect(isGone(sup)).toBe(true);
    expect(supervisorProcesses(p.stateDir)).toEqual([]);
  });

  it('is not started for a one-shot task alone', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n  build: { command: "true" }\n${line('web', port, ', depends_on: { build: { condition: completed } }')}`,
    );
    await p.ok(['up', 'build']);
    expect(existsSync(join(p.stateDir, 'run', '.supervisor.json'))).toBe(false);
    expect(supervisorProcesses(p.stateDir)).toEqual([]);
  });

  it.each([
    ['up --no-supervise', ['up', '--no-supervise'], '', /supervisor: none; the next up starts one/],
    ['supervise: false', ['up'], 'supervise: false\n', /^(?![\s\S]*supervisor)/],
  ])('is not started with %s', async (_, args, top, psLine) => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`${top}services:\n${line('web', port)}`);
    await p.ok(args);
    expect(await answers(port)).toBe(true);
    expect(supervisorRecord(p.stateDir)).toBeUndefined();
    expect(supervisorProcesses(p.stateDir)).toEqual([]);
    expect((await p.ok(['ps'])).stdout).toMatch(psLine);
    await p.ok(['down']);
  });

  it('two ups at once start exactly one', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    p.write(`services:\n${line('web', a)}${line('api', b)}`);
    const [one, two] = await Promise.all([p.run(['up', 'web'], TRACED), p.run(['up', 'api'], TRACED)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const sup = await liveSupervisor(p);
    // A second supervisor, had one been spawned, would be alive by now (it waits for the lock).
    await ticksPass(() => supervisorLog(p), 3, 'the supervisor');
    expect(supervisorProcesses(p.stateDir)).toEqual([sup]);
    await p.ok(['down']);
    expect(supervisorProcesses(p.stateDir)).toEqual([]);
  });

  it('hands the duties to a foreground watch (one restart per crash) and takes them back after it', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port)}`);
    await p.ok(['up'], FAST);
    const first = await liveSupervisor(p);
    const watch = p.start(['watch'], TRACED);
    let err = '';
    watch.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    await waitFor(() => err.includes('watching'), { timeout: 15_000, what: `watch to start:\n${err}` });
    // The supervisor left: watch holds the duties.
    await waitFor(() => isGone(first), { what: 'the supervisor to leave' });
    expect(supervisorProcesses(p.stateDir)).toEqual([]);
    expect((await p.ok(['ps'])).stdout).toMatch(new RegExp(`watch: pid ${watch.pid}, keeping web alive`));

    const old = p.record('web')!.pid;
    process.kill(old, 'SIGKILL');
    await waitFor(async () => p.record('web')?.pid !== old && (await answers(port)), {
      timeout: 10_000,
      what: 'web back under watch',
    });
    // Several more ticks: no second restart of that one crash, by anybody.
    await ticksPass(() => err, 5, 'watch');
    expect((await psRows(p, 'web'))[0]!.restarts).toBe(1);
    expect(err.match(/web restarted/g)).toHaveLength(1);
    expect(supervisorLog(p)).not.toMatch(/web restarted/);

    watch.kill('SIGINT');
    await new Promise((r) => watch.once('exit', r));
    const second = await liveSupervisor(p, 'a supervisor after watch');
    expect(second).not.toBe(first);
    expect(supervisorProcesses(p.stateDir)).toEqual([second]);
    await p.ok(['down']);
    expect(isGone(second)).toBe(true);
  });

  it('kill -9 of the supervisor: the services keep serving, ps says so, the next up starts a new one', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port)}`);
    await p.ok(['up']);
    const sup = await liveSupervisor(p);
    process.kill(sup, 'SIGKILL');
    await waitFor(() => isGone(sup), { what: 'the supervisor to die' });
    expect(await answers(port)).toBe(true);
    const ps = await p.ok(['ps']);
    expect(ps.stdout).toContain(`supervisor: gone (pid ${sup} died); the next up starts a new one`);
    expect((await psRows(p, 'web'))[0]!).toMatchObject({ status: 'running', supervised: false });
    await p.ok(['up']);
    const next = await liveSupervisor(p, 'a new supervisor');
    expect(next).not.toBe(sup);
    expect(supervisorProcesses(p.stateDir)).toEqual([next]);
    await p.ok(['down']);
  });

  it('survives the close of the terminal that ran up (tmux): a later crash is still restarted', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port)}`);
    const socket = `uiprocs-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const session = 'up';
    const env = `XDG_CACHE_HOME=${join(p.dir, '.cache')} UIPROCS_PLAIN=1 NO_COLOR=1`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { stdio: 'ignore' });
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      `cd ${p.dir} && env ${env} ${process.execPath} ${bin} up; sleep 600`,
    );
    try {
      await waitFor(() => answers(port), { timeout: 20_000, what: 'web started inside tmux' });
      await liveSupervisor(p);
      await waitFor(() => supervisorLog(p).includes('supervising web'), { what: 'the supervisor to start' });
    } finally {
      // Closing the session hangs up its terminal: SIGHUP to everything in it.
      tmux('kill-server');
    }
    const sup = supervisorRecord(p.stateDir)!.pid;
    await new Promise((r) => setTimeout(r, 300));
    expect(isGone(sup)).toBe(false);
    const old = p.record('web')!.pid;
    process.kill(old, 'SIGKILL');
    await waitFor(async () => p.record('web')?.pid !== old && (await answers(port)), {
      timeout: 10_000,
      what: 'web back after the terminal closed',
    });
    expect((await psRows(p, 'web'))[0]!.restarts).toBe(1);
    await p.ok(['down']);
    expect(isGone(sup)).toBe(true);
  });

  it('respects down web, and leaves by itself once nothing it supervises runs', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    p.write(`services:\n${line('web', a)}${line('api', b)}`);
    await p.ok(['up'], TRACED);
    const sup = await liveSupervisor(p);
    await p.ok(['down', 'web']);
    // Well past a tick and a restart delay: web stays down, the supervisor stays for api.
    await ticksPass(() => supervisorLog(p), 7, 'the supervisor');
    expect(await answers(a)).toBe(false);
    expect((await psRows(p, 'web'))[0]!.status).toBe('stopped');
    expect(isGone(sup)).toBe(false);
    expect((await p.ok(['ps'])).stdout).toContain('keeping api alive');
    await p.ok(['down', 'api']);
    await waitFor(() => isGone(sup), { timeout: 5_000, what: 'the supervisor to leave by itself' });
    expect(supervisorRecord(p.stateDir)).toBeUndefined();
    expect(supervisorLog(p)).toContain('exiting: nothing it supervises runs any more');
  });

  it('leaves when its state dir is removed', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port)}`);
    await p.ok(['up'], FAST);
    const sup = await liveSupervisor(p);
    const web = p.record('web')!.pid;
    rmSync(p.stateDir, { recursive: true, force: true });
    await waitFor(() => isGone(sup), { timeout: 5_000, what: 'the supervisor to leave' });
    process.kill(web, 'SIGKILL');
  });
});

describe('a supervisor restart', () => {
  it('uses the environment and placement the service was started with, not those of the up that spawned the supervisor', async () => {
    const p = track(e2eProject());
    const [a, b] = [await freePort(), await freePort()];
    p.write(
      `services:\n${line('a', a)}` +
        `  b: { command: node ${serve}, port: ${b}, restart: always, limits: { memory: 256MB } }\n`,
    );
    // The first up spawns the supervisor, with its environment.
    await p.ok(['up', 'a'], { ...FAST, GREETING: 'from the first up' });
    const sup = await liveSupervisor(p);
    // The second starts b unplaced, with another value; the supervisor stays the same.
    await p.ok(['up', 'b'], { ...FAST, GREETING: 'from the second up', UIPROCS_PLACE: 'none' });
    expect(await liveSupervisor(p)).toBe(sup);
    const first = p.record('b')!;
    expect(first.place?.kind).toBe('none');

    process.kill(first.pid, 'SIGKILL');
    const again = await waitFor(
      () => {
        const r = p.record('b');
        return r && r.pid !== first.pid && !isGone(r.pid) ? r : undefined;
      },
      { timeout: 10_000, what: 'b restarted by the supervisor' },
    );
    expect(again.place?.kind).toBe('none');
    expect(again.place?.cgroups).toEqual([]);
    const environ = readFileSync(`/proc/${again.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('GREETING=from the second up');
    expect(await waitFor(() => answers(b), { timeout: 10_000, what: 'b to answer' })).toBe(true);
    await p.ok(['down']);
  });
});

describe('why a service was restarted', () => {
  it('ps --json last_restart and the table say the cause; the supervisor reports its own child’s signal, not "unknown"', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port)}`);
    await p.ok(['up'], FAST);
    await liveSupervisor(p);
    // The first process is the up's child: its end is only seen, not reported to anyone.
    const first = p.record('web')!.pid;
    process.kill(first, 'SIGKILL');
    const second = await waitFor(
      () => {
        const pid = p.record('web')?.pid;
        return pid !== undefined && pid !== first && !isGone(pid) ? pid : undefined;
      },
      { timeout: 10_000, what: 'web restarted' },
    );
    let web = (await psRows(p, 'web'))[0]!;
    expect(web.last_restart?.cause).toBe('exited (code unknown)');
    // The second is the supervisor's own child: it knows how it ended.
    process.kill(second, 'SIGKILL');
    await waitFor(
      () => {
        const pid = p.record('web')?.pid;
        return pid !== undefined && pid !== second && !isGone(pid);
      },
      { timeout: 10_000, what: 'web restarted again' },
    );
    web = (await psRows(p, 'web'))[0]!;
    expect(web).toMatchObject({ restarts: 2, last_restart: { cause: 'SIGKILL' } });
    expect(Date.parse(web.last_restart!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(supervisorLog(p)).toContain('web died (SIGKILL)');
    expect((await p.ok(['ps'])).stdout).toMatch(/\nweb: restarted \d+s ago: SIGKILL\n/);
    await p.ok(['down']);
  });
});

/** The live children of `pid`, from /proc. */
/** The two workers a pre-forking server's main process `pid` forks, once both run. */
function workersOf(pid: number): Promise<number[]> {
  return waitFor(
    () => {
      const c = childrenOf(pid);
      return c.length >= 2 ? c : undefined;
    },
    { timeout: 10_000, what: 'its workers' },
  );
}

function childrenOf(pid: number): number[] {
  return safeList('/proc').flatMap((n) => {
    if (!/^\d+$/.test(n)) return [];
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[1]) === pid && fields[0] !== 'Z' ? [Number(n)] : [];
    } catch {
      return [];
    }
  });
}

describe('a service whose main process died is dead, whatever is left of it', () => {
  for (const [kind, command] of [
    ['a pre-forking server', (port: number) => `python3 ${join(programs, 'prefork.py')} ${port} 2`],
    ['gunicorn', (port: number) => `gunicorn -w 2 -b 127.0.0.1:${port} wsgi_app:app`],
  ] as const) {
    it(`${kind}: kill -9 of its main process → ps says restarting (never untracked), its workers are stopped, a new one serves`, async () => {
      const p = track(e2eProject());
      const port = await freePort();
      p.write(
        `services:\n  web:\n    command: ${command(port)}\n    cwd: ${programs}\n    port: ${port}\n    restart: always\n`,
      );
      await p.ok(['up'], FAST);
      const sup = await liveSupervisor(p);
      const main = p.record('web')!.pid;
      const workers = await workersOf(main);
      // The supervisor is held (SIGSTOP) while ps looks, so the moment between the death and
      // its restart lasts as long as the look: what a fast poll sees, made certain.
      process.kill(sup, 'SIGSTOP');
      try {
        process.kill(main, 'SIGKILL');
        await waitFor(() => isGone(main), { what: 'the main process to be gone' });
        // Its workers still serve: the port answers, yet the service is not running.
        expect(await answers(port)).toBe(true);
        const row = (await psRows(p, 'web'))[0]!;
        expect(row.status).toBe('restarting');
        expect(row.note).toContain(`its main process ${main} ended`);
        const table = await p.ok(['ps']);
        expect(table.stdout).toMatch(/^web\s+-\s+restarting\s/m);
        expect(table.stdout).toContain('keeping web alive');
      } finally {
        process.kill(sup, 'SIGCONT');
      }
      // The supervisor stops what is left and starts it again.
      const again = await waitFor(
        () => {
          const r = p.record('web');
          return r && r.pid !== main && !isGone(r.pid) ? r.pid : undefined;
        },
        { timeout: 15_000, what: 'web restarted' },
      );
      for (const w of workers) expect(isGone(w), `worker ${w}`).toBe(true);
      await waitFor(() => answers(port), { timeout: 10_000, what: 'the new one to serve' });
      expect((await psRows(p, 'web'))[0]).toMatchObject({ status: 'running', pid: again, restarts: 1 });
      await p.ok(['down']);
      expect(p.tagged()).toEqual([]);
    }, 60_000);
  }

  it('left down by its policy (max_restarts: 0): the supervisor stops what is left at once; ps says exited', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n  web:\n    command: python3 ${join(programs, 'prefork.py')} ${port} 2\n    port: ${port}\n    restart: always\n    max_restarts: 0\n`,
    );
    await p.ok(['up'], FAST);
    await liveSupervisor(p);
    const main = p.record('web')!.pid;
    const workers = await workersOf(main);
    process.kill(main, 'SIGKILL');
    for (const w of workers)
      await waitFor(() => isGone(w), { timeout: 10_000, what: `worker ${w} stopped by the supervisor` });
    expect(await answers(port)).toBe(false);
    await waitFor(() => supervisorLog(p).includes('web: stopped what was left of it (2 processes)'), {
      what: () => `the supervisor to say so (its log:\n${supervisorLog(p)})`,
    });
    expect((await psRows(p, 'web'))[0]).toMatchObject({
      status: 'exited',
      pid: null,
    });
    expect(p.record('web')?.pid).toBe(main);
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });

  it('with restart: no, the supervisor leaves it down and stops what is left of it', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n  web: { command: python3 ${join(programs, 'prefork.py')} ${port} 2, port: ${port} }\n`,
    );
    await p.ok(['up']);
    await liveSupervisor(p);
    const main = p.record('web')!.pid;
    const workers = await workersOf(main);
    process.kill(main, 'SIGKILL');
    for (const w of workers)
      await waitFor(() => isGone(w), { timeout: 10_000, what: `worker ${w} stopped by the supervisor` });
    const row = (await psRows(p, 'web'))[0]!;
    expect(row.status).toBe('exited');
    expect(await answers(port)).toBe(false);
    expect(supervisorLog(p)).toMatch(/web: stopped what was left of it \(2 processes\)/);
  });

  it('with no one to restart it (up --no-supervise): exited, naming what is left; down stops that', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n  web: { command: python3 ${join(programs, 'prefork.py')} ${port} 2, port: ${port} }\n`,
    );
    await p.ok(['up', '--no-supervise']);
    const main = p.record('web')!.pid;
    const workers = await workersOf(main);
    process.kill(main, 'SIGKILL');
    await waitFor(() => isGone(main), { what: 'the main process to be gone' });
    const row = (await psRows(p, 'web'))[0]!;
    expect(row.status).toBe('exited');
    for (const w of workers) expect(row.note).toContain(String(w));
    expect(row.note).toContain('`uiprocs down web` stops them');
    await p.ok(['down', 'web']);
    for (const w of workers) await waitFor(() => isGone(w), { what: `worker ${w} stopped by down` });
    expect(await answers(port)).toBe(false);
  });
});
