/**
 * `port: auto` keeps its port across `down` and `up` (issue #11, item 6): a bookmarked URL
 * of a UI must still work after the project was stopped and started again. The port is
 * remembered in the state dir and reused while it is free; when a foreign process has
 * taken it, `up` picks another, says so, and leaves that process alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { answers, e2eProject, isGone, programs, trackProjects } from './harness.js';

const serve = join(programs, 'serve.mjs');

const track = trackProjects();
const strangers: ChildProcess[] = [];
afterEach(async () => {
  for (const s of strangers.splice(0)) s.kill('SIGKILL');
});

describe('port: auto across down and up', () => {
  it('comes back on the same port; a port taken meanwhile is replaced, said so, and its holder survives', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  ui: { command: 'node ${serve} \${PORT}', port: auto }\n`);
    await p.ok(['up']);
    const port = p.record('ui')!.port!;
    expect(await answers(port)).toBe(true);

    await p.ok(['down']);
    expect(await answers(port)).toBe(false);
    const again = await p.ok(['up']);
    expect(p.record('ui')!.port).toBe(port);
    expect(await answers(port)).toBe(true);
    expect(again.stdout).toContain(`http://127.0.0.1:${port}/`);

    // A foreign server takes the port while the project is down.
    await p.ok(['down']);
    const stranger = spawn(process.execPath, [serve, String(port)], { stdio: 'ignore' });
    strangers.push(stranger);
    await waitFor(() => answers(port), { what: 'the foreign server on the remembered port' });
    const moved = await p.ok(['up']);
    const next = p.record('ui')!.port!;
    expect(next).not.toBe(port);
    expect(await answers(next)).toBe(true);
    expect(moved.stderr).toContain(`port ${port} is held by pid ${stranger.pid}`);
    expect(moved.stderr).toContain(`on port ${next}`);
    expect(moved.stdout).toContain(`http://127.0.0.1:${next}/`);
    expect(isGone(stranger.pid!)).toBe(false);

    // The new port is the one remembered now, even once the old one is free again.
    await p.ok(['down']);
    expect(isGone(stranger.pid!)).toBe(false);
    expect(await answers(port)).toBe(true);
    stranger.kill('SIGKILL');
    await waitFor(async () => !(await answers(port)), { what: 'the foreign server to go' });
    await p.ok(['up']);
    expect(p.record('ui')!.port).toBe(next);
  });
});

describe('port: auto between services', () => {
  it('two services remembering one port, started together, never share it', async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  a: { command: 'node ${serve} \${PORT}', port: auto }\n  b: { command: 'node ${serve} \${PORT}', port: auto }\n`,
    );
    await p.ok(['up']);
    const port = p.record('a')!.port!;
    await p.ok(['down']);
    // As if b had last run on a's port (the kernel handed it out again while a was down).
    writeFileSync(join(p.stateDir, 'run', 'b.port'), `${port}\n`);
    const up = await p.ok(['up']);
    const [a, b] = [p.record('a')!.port!, p.record('b')!.port!];
    expect(a).not.toBe(b);
    expect([a, b]).toContain(port);
    expect(await answers(a)).toBe(true);
    expect(await answers(b)).toBe(true);
    expect(up.stderr).toContain(`port ${port} is another service's now`);
  });
});
