/**
 * The detached supervisor end to end (issue 13): `up` of services with restart policies
 * leaves one supervisor that brings a `kill -9`ed server back with no uiprocs in the
 * foreground; `down` leaves nothing behind; a foreground watch takes the duties over.
 * Real servers on free loopback ports; the supervisor is found by its record (and, to prove
 * there is no other, by scanning /proc for `__supervise --state-dir <this test's dir>`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
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
  trackProjects,
} from './harness.js';

const serve = join(programs, 'serve.mjs');
const FAST = { UIPROCS_WATCH_INTERVAL_MS: '200', UIPROCS_BACKOFF_BASE_MS: '200' };
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

  it('is not started for services without restart policies', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n${line('web', port, '')}`);
    const up = await p.ok(['up']);
    expect(await answers(port)).toBe(true);
    expect(existsSync(join(p.stateDir, 'run', '.supervisor.json'))).toBe(false);
    expect(supervisorProcesses(p.stateDir)).toEqual([]);
    expect((await p.ok(['ps'])).stdout).not.toMatch(/supervisor/);
    expect((await psRows(p))[0]!.supervised).toBe(false);
    expect(up.stderr).not.toMatch(/supervisor/);
    await p.ok(['down']);
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
    const [one, two] = await Promise.all([p.run(['up', 'web']), p.run(['up', 'api'])]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const sup = await liveSupervisor(p);
    // A second supervisor, had one been spawned, would be alive by now (it waits for the lock).
    await new Promise((r) => setTimeout(r, 500));
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
    const watch = p.start(['watch'], FAST);
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
    await new Promise((r) => setTimeout(r, 1000));
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
    await p.ok(['up'], FAST);
    const sup = await liveSupervisor(p);
    await p.ok(['down', 'web']);
    // Well past a tick and a restart delay: web stays down, the supervisor stays for api.
    await new Promise((r) => setTimeout(r, 1500));
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
