import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { answers, type E2eProject, e2eProject, isGone, programs } from './harness.js';

const serve = join(programs, 'serve.mjs');

async function ps(p: E2eProject, ...args: string[]): Promise<StatusRow[]> {
  const r = await p.run(['ps', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusRow[];
}

let project: E2eProject | undefined;
const track = (p: E2eProject): E2eProject => {
  project = p;
  return p;
};
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('up / ps / down', () => {
  it('starts every service, is idempotent, recreates only what changed, stops by group', async () => {
    const p = track(e2eProject());
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    const manifest = (cmdB: string) => `
services:
  a: { command: node ${serve} ${a}, port: ${a}, group: ui }
  b: { command: ${cmdB}, port: ${b}, group: ui }
  c: { command: node ${serve} ${c}, port: ${c}, group: api }
`;
    p.write(manifest(`node ${serve} ${b}`));
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    for (const port of [a, b, c]) expect(await answers(port)).toBe(true);
    const rows = await ps(p);
    expect(rows.map((r) => [r.name, r.status, r.url])).toEqual([
      ['a', 'running', `http://127.0.0.1:${a}/`],
      ['b', 'running', `http://127.0.0.1:${b}/`],
      ['c', 'running', `http://127.0.0.1:${c}/`],
    ]);
    // The recorded PID is the server itself (a simple string command is exec'd by the shell).
    const pids = Object.fromEntries(rows.map((r) => [r.name, r.pid]));
    expect(p.tagged().sort()).toEqual(Object.values(pids).sort());

    const again = await p.run(['up']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('everything is up to date');
    expect(Object.fromEntries((await ps(p)).map((r) => [r.name, r.pid]))).toEqual(pids);

    p.write(manifest(`node ${serve} ${b} 127.0.0.1`));
    const dry = await p.run(['up', '--dry-run']);
    expect(dry.stdout).toBe('recreate     b  config changed: command\n');
    const edit = await p.run(['up']);
    expect(edit.code, edit.stderr).toBe(0);
    const after = Object.fromEntries((await ps(p)).map((r) => [r.name, r.pid]));
    expect(after.a).toBe(pids.a);
    expect(after.c).toBe(pids.c);
    expect(after.b).not.toBe(pids.b);
    expect(isGone(pids.b!)).toBe(true);

    const downUi = await p.run(['down', 'ui']);
    expect(downUi.code, downUi.stderr).toBe(0);
    const statuses = Object.fromEntries((await ps(p)).map((r) => [r.name, r.status]));
    expect(statuses).toEqual({ a: 'stopped', b: 'stopped', c: 'running' });
    expect(await answers(a)).toBe(false);

    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(p.tagged()).toEqual([]);
    expect(await answers(c)).toBe(false);
  });

  it('leaves no process behind for wrappers, setsid grandchildren and servers that ignore SIGTERM', async () => {
    const p = track(e2eProject());
    const [w, s, i] = [await freePort(), await freePort(), await freePort()];
    p.write(`
services:
  wrapper: { command: sh ${join(programs, 'grandchild.sh')} ${w}, port: ${w} }
  escaped: { command: node ${join(programs, 'setsid-grandchild.mjs')} ${s}, port: ${s} }
  stubborn: { command: node ${join(programs, 'ignore-sigterm.mjs')} ${i}, port: ${i}, stop_timeout: 300ms }
`);
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    const before = p.tagged();
    expect(before.length).toBeGreaterThanOrEqual(5);
    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/stubborn.*ignored SIGTERM/);
    expect(p.tagged()).toEqual([]);
    for (const pid of before) expect(isGone(pid)).toBe(true);
    for (const port of [w, s, i]) expect(await answers(port)).toBe(false);
  });

  it('stops a real multi-process server (gunicorn with workers) completely', async (ctx) => {
    const gunicorn = ['/usr/bin/gunicorn', '/usr/local/bin/gunicorn'].find((f) => existsSync(f));
    if (!gunicorn) ctx.skip();
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`
services:
  app:
    command: ${gunicorn} --workers 3 --bind 127.0.0.1:${port} --chdir ${programs} wsgi_app:app
    port: ${port}
    ready: { http: /, timeout: 20s }
`);
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    await waitFor(() => p.tagged().length >= 4, { what: 'gunicorn master and 3 workers' });
    const before = p.tagged();
    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(p.tagged()).toEqual([]);
    for (const pid of before) expect(isGone(pid)).toBe(true);
    expect(await answers(port)).toBe(false);
  });
});

describe('records that cannot lie', () => {
  it('reports a record whose PID now belongs to a stranger as stale, and down leaves the stranger alive', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n  web: { command: node ${serve} ${port}, port: ${port} }\n`);
    await p.ok(['up']);
    const record = p.record('web')!;
    // A foreign process (not started by uiprocs, no tag) …
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
    try {
      // … and the record rewritten so its PID points at the stranger (as after PID reuse).
      process.kill(record.pid, 'SIGKILL');
      await waitFor(() => isGone(record.pid));
      writeFileSync(
        join(p.stateDir, 'run/web.json'),
        JSON.stringify({ ...record, pid: stranger.pid, pgid: stranger.pid, sid: stranger.pid }),
      );
      writeFileSync(join(p.stateDir, 'run/web.pid'), `${stranger.pid}\n`);
      const rows = await ps(p);
      expect(rows[0]!.status).toBe('stale');
      const down = await p.run(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(isGone(stranger.pid!)).toBe(false);
      expect(p.record('web')).toBeUndefined();
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('notices a killed service: ps stops saying running, --check exits 1, up brings it back', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n  web: { command: node ${serve} ${port}, port: ${port} }\n`);
    await p.ok(['up']);
    const pid = p.record('web')!.pid;
    await p.ok(['ps', '--check']);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => isGone(pid));
    expect((await ps(p))[0]!.status).toBe('exited');
    expect((await p.run(['ps', '--check'])).code).toBe(1);
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('not running (process');
    expect((await ps(p))[0]!.status).toBe('running');
    expect(await answers(port)).toBe(true);
  });
});

describe('concurrency', () => {
  it('two ups at once start one process per service', async () => {
    const p = track(e2eProject());
    const ports = [await freePort(), await freePort(), await freePort()];
    p.write(
      `services:\n${ports.map((port, i) => `  s${i}: { command: node ${serve} ${port}, port: ${port} }\n`).join('')}`,
    );
    const [one, two] = await Promise.all([p.run(['up']), p.run(['up'])]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(p.tagged()).toHaveLength(3);
    for (const port of ports) expect(await answers(port)).toBe(true);
  });

  it('converges after up is killed half-way', async () => {
    const p = track(e2eProject());
    const ports = [await freePort(), await freePort()];
    p.write(`
services:
  slow: { command: node ${join(programs, 'slow-serve.mjs')} 1500 ${ports[0]}, port: ${ports[0]} }
  fast: { command: node ${serve} ${ports[1]}, port: ${ports[1]} }
`);
    const cli = p.start(['up']);
    await waitFor(() => p.record('slow') !== undefined, { what: 'slow spawned' });
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    for (const port of ports) expect(await answers(port)).toBe(true);
    expect(p.tagged()).toHaveLength(2);
  });
});
