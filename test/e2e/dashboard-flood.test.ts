/**
 * The dashboard runs inside the supervisor, so a flood of its port must never starve the
 * supervisor's real job (issue 20, item 3). The supervisor runs with the 1,024 descriptors
 * a default login has (`ulimit -n 1024` before `up`, inherited), a service logs ~3 MB/s,
 * and a hostile local client holds 1,100 half-sent requests plus 30 event streams (with
 * the token) that never read. Then a `restart: always` service is kill -9'd: it must be
 * back on its port on time, with the supervisor's descriptors and memory bounded, and the
 * streams that stopped reading dropped rather than buffered.
 *
 * Before the limits (dashboard/limits.ts) the supervisor ran out of descriptors (restarts
 * failed with `spawn … EMFILE`) and grew by hundreds of MB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort, isGone } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import {
  answers,
  bin,
  e2eProject,
  liveSupervisor,
  programs,
  supervisorLog,
  trackProjects,
} from './harness.js';

const track = trackProjects();
const measured = (what: string) => console.log(`[measured] ${what}`);
const floods: ChildProcess[] = [];
afterEach(() => {
  for (const f of floods.splice(0)) if (f.exitCode === null) f.kill('SIGKILL');
});

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** The kernel's state (hex, `01` = ESTABLISHED) of each TCP connection from port `from` to 127.0.0.1:`to`. */
function tcpStates(from: number, to: number[]): Map<number, string> {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const wanted = new Map(to.map((port) => [hex(port), port]));
  const states = new Map<number, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, remote, st] = line.trim().split(/\s+/);
    if (!local?.endsWith(`:${hex(from)}`)) continue;
    const port = wanted.get(remote?.split(':')[1] ?? '');
    if (port !== undefined) states.set(port, st!);
  }
  return states;
}

it('a flood of the dashboard (1,100 held connections, 30 streams that never read) does not stop a restart', async () => {
  // The supervisor inherits the limit of the `up` that starts it.
  const p = track(
    e2eProject(undefined, {
      cli: ['/bin/sh', '-c', 'ulimit -n 1024 && exec "$0" "$@"', process.execPath, bin],
    }),
  );
  const [board, web] = [await freePort(), await freePort()];
  p.write(`
dashboard: { port: ${board} }
services:
  web: { command: node ${join(programs, 'serve.mjs')} ${web}, port: ${web}, restart: always }
  chatty: { command: node ${join(programs, 'chatty.mjs')} 3000 1 }
`);
  await p.ok(['up'], { UIPROCS_BACKOFF_BASE_MS: '200', UIPROCS_WATCH_INTERVAL_MS: '200' });
  const sup = await liveSupervisor(p);
  expect(readFileSync(`/proc/${sup}/limits`, 'utf8')).toMatch(/Max open files\s+1024\s/);
  await waitFor(() => answers(board), { what: 'the dashboard' });
  const token = readFileSync(join(p.stateDir, 'dashboard.token'), 'utf8').trim();
  const before = { rss: rssMb(sup), fds: fds(sup) };

  const flood = spawn(
    '/bin/sh',
    [
      '-c',
      'ulimit -n 4096 && exec "$0" "$@"',
      process.execPath,
      join(programs, 'flood.mjs'),
      String(board),
      '1100',
      '30',
      token,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  floods.push(flood);
  let out = '';
  flood.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  await waitFor(() => out.includes('ready'), { timeout: 20_000, what: 'the flood to connect' });
  const streams = /streams ([\d,]+)/.exec(out)![1]!.split(',').map(Number);
  expect(streams).toHaveLength(30);
  let most = { fds: 0, rss: 0 };
  const sample = () => {
    most = { fds: Math.max(most.fds, fds(sup)), rss: Math.max(most.rss, rssMb(sup)) };
  };
  // The streams that stopped reading are dropped (closed on the server's side: no longer
  // ESTABLISHED there) once their queue passes its bound, not buffered without end.
  let open = streams.length;
  await waitFor(
    () => {
      sample();
      const states = tcpStates(board, streams);
      open = streams.filter((port) => states.get(port) === '01').length;
      return open === 0;
    },
    { timeout: 60_000, interval: 200, what: `all 30 unread streams dropped (${open} still open)` },
  );

  const first = p.record('web')!.pid;
  const killed = performance.now();
  process.kill(first, 'SIGKILL');
  const second = await waitFor(
    () => {
      sample();
      const pid = p.record('web')?.pid;
      return pid !== undefined && pid !== first && !isGone(pid) ? pid : undefined;
    },
    { timeout: 10_000, what: 'web restarted by the supervisor under the flood' },
  );
  await waitFor(() => answers(web), { timeout: 10_000, what: 'the restarted web to answer' });
  const back = performance.now() - killed;
  sample();
  measured(
    `under a flood (1,100 held connections, 30 unread streams, 3 MB/s of logs): kill -9 → answering again in ${Math.round(back)} ms; ` +
      `supervisor fds ${before.fds} → at most ${most.fds} (limit 1024), RSS ${before.rss.toFixed(0)} → at most ${most.rss.toFixed(0)} MB`,
  );
  expect(second).not.toBe(first);
  // Backoff base 200 ms; the rest is the start and a loaded machine.
  expect(back).toBeLessThan(5000);
  expect(most.fds).toBeLessThan(1024 - 256);
  expect(most.rss).toBeLessThan(120);
  expect(supervisorLog(p)).not.toContain('EMFILE');
}, 120_000);
