/**
 * A failed or dead service says how it ended (issue #11, item 2): up's failure line names
 * the exit, and `ps` keeps it — `exited (3)`, `exited (SIGSEGV)`, `exited (code unknown)`,
 * with exit_code / exit_signal / finished_at in --json — until the next `up` or `down` of
 * that service. `stopped` stays for a stop on purpose.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { answers, type E2eProject, e2eProject, isGone, programs, psRows, trackProjects } from './harness.js';

const serve = join(programs, 'serve.mjs');
const exitWith = join(programs, 'exit-with.mjs');

const track = trackProjects();

async function row(p: E2eProject, name: string): Promise<StatusRow> {
  return (await psRows(p, name))[0]!;
}

/** The STATUS cell of `name` in the plain `ps` table. */
async function statusCell(p: E2eProject, name: string): Promise<string> {
  const r = await p.run(['ps', name]);
  expect(r.code, r.stderr).toBe(0);
  const [header, line] = r.stdout.split('\n');
  const at = header!.indexOf('STATUS');
  return line!.slice(at, header!.indexOf('PID')).trim();
}

const stopped = { status: 'stopped', exit_code: null, exit_signal: null, finished_at: null };

describe('a service that dies while starting', () => {
  it('exit 3: up names the code; ps says exited (3) until up of that service or down', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    // Fails until the file `go` exists, then serves: the same service, failing then healthy.
    p.write(`
services:
  boom: { command: 'test -f go || exec node ${exitWith} 3 200; exec node ${serve} ${port}', port: ${port} }
`);
    const before = Date.now();
    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/boom +exited with code 3 after \d+\.\d s while starting \(pid \d+\)/);
    expect(up.stderr).toContain('fatal: exiting with 3');
    const pid = p.record('boom')!.pid;
    expect(isGone(pid)).toBe(true);
    expect(p.tagged()).toEqual([]);

    const failed = await row(p, 'boom');
    expect(failed).toMatchObject({ status: 'exited', exit_code: 3, exit_signal: null, pid: null });
    const finished = Date.parse(failed.finished_at!);
    expect(finished).toBeGreaterThanOrEqual(before);
    expect(finished).toBeLessThanOrEqual(Date.now());
    expect(failed.note).toBe(`process ${pid} exited with code 3`);
    expect(await statusCell(p, 'boom')).toBe('exited (3)');
    // It stays: a second look, and an up of nothing else, do not clear it.
    expect(await row(p, 'boom')).toEqual(failed);
    const dry = await p.run(['up', '--dry-run']);
    expect(dry.stdout).toBe(`start        boom  not running (process ${pid} exited with code 3)\n`);

    // The next up of that service replaces it.
    writeFileSync(join(p.dir, 'go'), '');
    await p.ok(['up', 'boom']);
    expect(await answers(port)).toBe(true);
    expect(await row(p, 'boom')).toMatchObject({
      status: 'running',
      exit_code: null,
      exit_signal: null,
      finished_at: null,
    });

    // A stop on purpose is `stopped`, never `exited`.
    await p.ok(['down']);
    expect(await row(p, 'boom')).toMatchObject(stopped);
    expect(await statusCell(p, 'boom')).toBe('stopped');
    expect(await answers(port)).toBe(false);
  }, 90_000);

  it('killed by a signal: up says killed by SIGSEGV; ps says exited (SIGSEGV); down clears it', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  seg: { command: [sh, -c, 'echo about to crash; kill -SEGV $$$$'] }\n`);
    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/seg +killed by SIGSEGV after \d+\.\d s while starting \(pid \d+\)/);
    expect(up.stderr).toContain('about to crash');
    expect(await row(p, 'seg')).toMatchObject({
      status: 'exited',
      exit_code: null,
      exit_signal: 'SIGSEGV',
      finished_at: expect.any(String),
    });
    expect(await statusCell(p, 'seg')).toBe('exited (SIGSEGV)');

    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(await row(p, 'seg')).toMatchObject(stopped);
    expect(p.record('seg')).toBeUndefined();
  });

  it('never ready: stopped by uiprocs, and ps says so instead of stopped', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    // Alive, but its port never opens: the ready timeout ends it.
    p.write(
      `services:\n  mute: { command: sleep 3600, port: ${port}, ready: { tcp: ${port}, timeout: 500ms } }\n`,
    );
    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/mute +not ready after/);
    expect(p.tagged()).toEqual([]);
    const r = await row(p, 'mute');
    expect(r).toMatchObject({ status: 'exited', exit_signal: 'SIGTERM', finished_at: expect.any(String) });
    expect(r.note).toMatch(/killed by SIGTERM \(stopped by uiprocs: not ready in time\)/);
  });
});

describe('a service that dies after up returned', () => {
  it('no uiprocs process was its parent: exited (code unknown), finished_at kept from the first look', async () => {
    const p = track(e2eProject());
    const [port, other] = [await freePort(), await freePort()];
    p.write(`
services:
  web: { command: node ${serve} ${port}, port: ${port} }
  api: { command: node ${serve} ${other}, port: ${other} }
`);
    await p.ok(['up']);
    expect(await row(p, 'web')).toMatchObject({ status: 'running', exit_code: null, finished_at: null });
    const pid = p.record('web')!.pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => isGone(pid), { what: `pid ${pid} gone` });

    const first = await row(p, 'web');
    expect(first).toMatchObject({ status: 'exited', exit_code: null, exit_signal: null });
    const finished = Date.parse(first.finished_at!);
    expect(finished).toBeGreaterThanOrEqual(killedAt);
    expect(finished).toBeLessThanOrEqual(Date.now());
    expect(await statusCell(p, 'web')).toBe('exited (code unknown)');
    // Recorded once: every later look gives the same time.
    expect(p.record('web')!.exit).toEqual({ code: null, signal: null, finishedAt: first.finished_at });
    expect((await row(p, 'web')).finished_at).toBe(first.finished_at);
    // The other service is untouched.
    expect(await row(p, 'api')).toMatchObject({ status: 'running', finished_at: null });

    await p.ok(['down', 'web']);
    expect(await row(p, 'web')).toMatchObject(stopped);
    expect(await row(p, 'api')).toMatchObject({ status: 'running' });
    expect(await answers(other)).toBe(true);
    await p.ok(['down']);
  }, 90_000);

  it('ps in a state dir others can write records nothing: code unknown, no finished_at, record unchanged', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n  web: { command: node ${serve} ${port}, port: ${port} }\n`);
    // No supervisor: it would record the exit itself (it is the holder of the duties).
    await p.ok(['up', '--no-supervise']);
    const pid = p.record('web')!.pid;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => isGone(pid), { what: `pid ${pid} gone` });
    chmodSync(p.stateDir, 0o777);
    const recordFile = join(p.stateDir, 'run/web.json');
    const before = readFileSync(recordFile, 'utf8');
    try {
      expect(await row(p, 'web')).toMatchObject({ status: 'exited', exit_code: null, finished_at: null });
      expect(readFileSync(recordFile, 'utf8')).toBe(before);
    } finally {
      chmodSync(p.stateDir, 0o700);
    }
  });
});
