/**
 * Issue 4 ("ready means ready") through the built CLI: `up` returns when a service really
 * answers, fails fast with the service's own output when it cannot, respects depends_on,
 * refuses a port a stranger holds, keeps `port: auto` stable, and starts nothing when a
 * precondition (a writable log) fails. Every timing is measured from outside the CLI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { answers, type E2eProject, e2eProject, isGone, programs } from './harness.js';

const serve = join(programs, 'serve.mjs');
const slowServe = join(programs, 'slow-serve.mjs');
const flaky = join(programs, 'flaky-http.mjs');
const exitWith = join(programs, 'exit-with.mjs');

function httpStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).once('error', reject);
  });
}

async function ps(p: E2eProject): Promise<StatusRow[]> {
  const r = await p.run(['ps', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusRow[];
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; end: number }> {
  const t0 = performance.now();
  const value = await f();
  const end = performance.now();
  return { value, ms: end - t0, end };
}

const log = (what: string, ms: number) => console.log(`[measured] ${what}: ${Math.round(ms)} ms`);

let project: E2eProject | undefined;
const strangers: ChildProcess[] = [];
const track = (p: E2eProject): E2eProject => {
  project = p;
  return p;
};
afterEach(async () => {
  for (const s of strangers.splice(0)) s.kill('SIGKILL');
  await project?.cleanup();
  project = undefined;
});

describe('up waits for ready', () => {
  it('returns only once a server that opens its port after 1.5 s answers', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n  slow: { command: node ${slowServe} 1500 ${port}, port: ${port} }\n`);
    // Watch the port from outside while up runs: when did it first answer?
    let opened: number | undefined;
    let polling = true;
    const poller = (async () => {
      while (polling && opened === undefined) {
        if (await answers(port)) opened = performance.now();
        else await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const up = await timed(() => p.run(['up']));
    const answeredAtExit = await answers(port);
    polling = false;
    await poller;
    expect(up.value.code, up.value.stderr).toBe(0);
    expect(answeredAtExit).toBe(true);
    expect(up.ms).toBeGreaterThanOrEqual(1400);
    expect(opened).toBeDefined();
    expect(opened!).toBeLessThanOrEqual(up.end);
    log('up total for a port opening after 1.5 s', up.ms);
    log('up exit after the port first answered', up.end - opened!);
    // One probe interval (≤ 250 ms) plus the CLI's exit; the margin is for a loaded CI box.
    expect(up.end - opened!).toBeLessThan(2500);
    expect(up.value.stderr).toMatch(/slow\s+ready in/);
  });

  it('passes an http probe only after 503s turn into a 200', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(
      `services:\n  flaky: { command: node ${flaky} 1000 ${port}, port: ${port}, ready: { http: / } }\n`,
    );
    const up = await timed(() => p.run(['up']));
    expect(up.value.code, up.value.stderr).toBe(0);
    // The port is open from the first ms; only the 200 after 1 s makes it ready.
    expect(up.ms).toBeGreaterThanOrEqual(900);
    expect(await httpStatus(port)).toBe(200);
  });

  it('waits for a log line on a service without port', async () => {
    const p = track(e2eProject());
    p.write(`
services:
  worker:
    command: ["sh", "-c", "echo booting; sleep 1; echo listening on nothing; exec sleep 3600"]
    ready: { log: "listening on" }
`);
    const up = await timed(() => p.run(['up']));
    expect(up.value.code, up.value.stderr).toBe(0);
    // The alive default would pass after 0.3 s; the log line comes after 1 s.
    expect(up.ms).toBeGreaterThanOrEqual(900);
    const record = p.record('worker')!;
    expect(readFileSync(record.logPath, 'utf8')).toContain('listening on nothing');
    expect(isGone(record.pid)).toBe(false);
  });

  it('fails fast when the command exits 2 at once, showing its last output', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    p.write(`services:\n  broken: { command: node ${exitWith} 2 0 3, port: ${port} }\n`);
    // What any CLI run costs right now (node start, imports): on a loaded machine this
    // alone can approach the budget, so the bound grows with it; unloaded it is 2 s.
    const baseline = await timed(() => p.run(['ps']));
    const up = await timed(() => p.run(['up']));
    log('up failure detection for a command exiting 2 at once (wall)', up.ms);
    log('a plain `ps` run at the same moment (wall)', baseline.ms);
    expect(up.value.code).toBe(1);
    expect(up.ms).toBeLessThan(Math.max(2000, 2 * baseline.ms));
    // The death itself is seen at once, not after a probe timeout.
    const seenAfter = Number(/exited with code 2 after ([\d.]+) s while starting/.exec(up.value.stderr)?.[1]);
    expect(seenAfter).toBeLessThan(2); // the probe timeout is 60 s
    for (const line of ['line 1', 'line 2', 'line 3', 'fatal: exiting with 2']) {
      expect(up.value.stderr).toContain(line);
    }
    expect(up.value.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // Stopped, its record kept with how it ended (ps: `exited (2)`).
    expect(p.record('broken')!.exit).toMatchObject({ code: 2, signal: null });
    expect(isGone(p.record('broken')!.pid)).toBe(true);
    expect(p.tagged()).toEqual([]);
  });
});

describe('depends_on', () => {
  const chain = (a: string, ports: number[]) => `
services:
  c: { command: node ${serve} ${ports[2]}, port: ${ports[2]}, depends_on: [b] }
  b: { command: node ${serve} ${ports[1]}, port: ${ports[1]}, depends_on: [a] }
  a: { command: ${a}, port: ${ports[0]} }
`;

  it('up c starts a, b, c in order, each after the one before is ready', async () => {
    const p = track(e2eProject());
    const ports = [await freePort(), await freePort(), await freePort()];
    p.write(chain(`node ${slowServe} 500 ${ports[0]}`, ports));
    const up = await p.run(['up', 'c']);
    expect(up.code, up.stderr).toBe(0);
    for (const port of ports) expect(await answers(port)).toBe(true);
    const at = (n: string) => Date.parse(p.record(n)!.startedAt);
    // b waits for a to be ready (its port opens 500 ms after its start), c for b.
    expect(at('b') - at('a')).toBeGreaterThanOrEqual(450);
    expect(at('c')).toBeGreaterThan(at('b'));
    expect(up.stderr).toMatch(/a\s+start: not running; needed by b/);
  });

  it('a failing dependency leaves its dependents unstarted, with the reason', async () => {
    const p = track(e2eProject());
    const ports = [await freePort(), await freePort(), await freePort()];
    p.write(chain(`node ${exitWith} 3 0 1`, ports));
    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/b\s+skipped: dependency a failed/);
    expect(up.stderr).toMatch(/c\s+skipped: dependency b failed/);
    expect(up.stderr).toContain('fatal: exiting with 3');
    expect(p.record('b')).toBeUndefined();
    expect(p.record('c')).toBeUndefined();
    expect(p.tagged()).toEqual([]);
    for (const port of ports.slice(1)) expect(await answers(port)).toBe(false);
  });

  it('down api stops web, which depends on it, and says why', async () => {
    const p = track(e2eProject());
    const [api, web] = [await freePort(), await freePort()];
    p.write(`
services:
  api: { command: node ${serve} ${api}, port: ${api} }
  web: { command: node ${serve} ${web}, port: ${web}, depends_on: [api] }
`);
    await p.ok(['up']);
    const pids = [p.record('api')!.pid, p.record('web')!.pid];
    const down = await p.run(['down', 'api']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/web\s+stop: depends on api/);
    for (const pid of pids) expect(isGone(pid)).toBe(true);
    expect(p.tagged()).toEqual([]);
    expect((await ps(p)).map((r) => [r.name, r.status])).toEqual([
      ['api', 'stopped'],
      ['web', 'stopped'],
    ]);
  });
});

describe('ports', () => {
  it('refuses a port held by a foreign process, names its PID, starts nothing, leaves it alive', async () => {
    const p = track(e2eProject());
    const [port, other] = [await freePort(), await freePort()];
    const stranger = spawn(process.execPath, [serve, String(port)], { stdio: 'ignore' });
    strangers.push(stranger);
    await waitFor(() => answers(port), { what: 'the foreign server' });
    p.write(`
services:
  other: { command: node ${serve} ${other}, port: ${other} }
  web: { command: node ${serve} ${port}, port: ${port} }
`);
    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`port ${port} is held by pid ${stranger.pid}`);
    expect(up.stderr).toContain(serve);
    expect(isGone(stranger.pid!)).toBe(false);
    expect(await answers(port)).toBe(true);
    expect(p.tagged()).toEqual([]);
    expect(p.record('web')).toBeUndefined();
    expect(p.record('other')).toBeUndefined();
  });

  it('port: auto keeps its port across ups, reaches the command as PORT, shows the URL', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  ui: { command: 'node ${serve} \${PORT}', port: auto }\n`);
    const first = await p.run(['up']);
    expect(first.code, first.stderr).toBe(0);
    const port = p.record('ui')!.port!;
    expect(port).toBeGreaterThan(0);
    expect(await answers(port)).toBe(true);
    expect(readFileSync(p.record('ui')!.logPath, 'utf8')).toContain(`listening on ${port}`);
    const url = `http://127.0.0.1:${port}/`;
    expect(first.stdout).toContain(url);

    const second = await p.run(['up']);
    expect(second.code, second.stderr).toBe(0);
    expect(p.record('ui')!.port).toBe(port);
    // The summary names the URL of a service that was already running, from its record.
    expect(second.stdout).toMatch(new RegExp(`ui\\s+${url.replace(/[.]/g, '\\.')}`));
    const rows = await ps(p);
    expect(rows.map((r) => [r.name, r.port, r.url])).toEqual([['ui', port, url]]);

    await p.ok(['down']);
    const again = await p.run(['up']);
    expect(again.code, again.stderr).toBe(0);
    const next = p.record('ui')!.port!;
    expect(await answers(next)).toBe(true);
    expect((await ps(p))[0]!.url).toBe(`http://127.0.0.1:${next}/`);
  });
});

describe('log preconditions', () => {
  it('an unwritable log path is a clear error and nothing starts, not even other services', async () => {
    const p = track(e2eProject());
    const [good, bad] = [await freePort(), await freePort()];
    writeFileSync(join(p.dir, 'blocker'), 'a regular file, not a folder\n');
    p.write(`
services:
  good: { command: node ${serve} ${good}, port: ${good} }
  bad: { command: node ${serve} ${bad}, port: ${bad}, log: blocker/bad.log }
`);
    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(join(p.dir, 'blocker'));
    expect(up.stderr).toMatch(/ENOTDIR|not a directory/);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(p.tagged()).toEqual([]);
    expect(p.record('good')).toBeUndefined();
    expect(p.record('bad')).toBeUndefined();
    expect(await answers(good)).toBe(false);
  });
});
