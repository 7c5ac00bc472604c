/**
 * `dashboard: { port }` in the manifest (issue 15): the supervisor serves the page for as
 * long as the project runs — even with no restart policy anywhere — `up` and `ps` print
 * its URL, a foreground `watch` serves it while it holds the duties and hands it back, and
 * `down` leaves neither the supervisor nor the port behind. Real servers, free ports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, isGone } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import {
  e2eProject,
  liveSupervisor,
  programs,
  supervisorLog,
  supervisorRecord,
  trackProjects,
} from './harness.js';

const track = trackProjects();
const FAST = { UIPROCS_WATCH_INTERVAL_MS: '200', UIPROCS_BACKOFF_BASE_MS: '200' };

/** The project's session token, from the file its owner (this test's user) can read. */
function tokenOf(stateDir: string): string {
  return readFileSync(join(stateDir, 'dashboard.token'), 'utf8').trim();
}

/** The status of GET <path> on the dashboard with the project's token, or 0 when nothing listens. */
async function get(port: number, stateDir: string, path = '/'): Promise<number> {
  try {
    return (
      await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-uiprocs-token': tokenOf(stateDir) } })
    ).status;
  } catch {
    return 0;
  }
}

describe('the manifest’s dashboard', () => {
  it('is served by a supervisor while the project runs, printed by up and ps, and gone after down', async () => {
    const p = track(e2eProject());
    const [board, web] = [await freePort(), await freePort()];
    p.write(
      `dashboard: { port: ${board} }\nservices:\n  web: { command: node ${join(programs, 'serve.mjs')} ${web}, port: ${web} }\n`,
    );
    const up = await p.ok(['up']);
    const token = tokenOf(p.stateDir);
    expect(up.stdout).toMatch(new RegExp(`dashboard\\s+http://127\\.0\\.0\\.1:${board}/\\?token=${token}\n`));
    const sup = await liveSupervisor(p);
    await waitFor(async () => (await get(board, p.stateDir)) === 200, { what: 'the dashboard to answer' });
    // Without the token, nothing (another local user has the same loopback).
    expect((await fetch(`http://127.0.0.1:${board}/api/services`)).status).toBe(401);
    const rows = (await (
      await fetch(`http://127.0.0.1:${board}/api/services`, { headers: { 'x-uiprocs-token': token } })
    ).json()) as {
      name: string;
      status: string;
    }[];
    expect(rows.map((r) => [r.name, r.status])).toEqual([['web', 'running']]);
    const ps = await p.ok(['ps']);
    expect(ps.stdout).toContain(`dashboard: http://127.0.0.1:${board}/?token=${token}\n`);
    // Its port is taken by the supervisor's: `uiprocs dashboard` prints that one (the CLI reads the token file).
    const second = await p.run(['dashboard']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(`dashboard: http://127.0.0.1:${board}/?token=${token}\n`);
    expect(second.stderr).toContain("the project's supervisor serves it");

    await p.ok(['down']);
    await waitFor(() => isGone(sup), { what: 'the supervisor to leave' });
    expect(await get(board, p.stateDir)).toBe(0);
    expect(supervisorRecord(p.stateDir)).toBeUndefined();
  });

  it('moves to a foreground watch while it holds the duties, and back to a supervisor after', async () => {
    const p = track(e2eProject());
    const [board, web] = [await freePort(), await freePort()];
    p.write(
      `dashboard: { port: ${board} }\nservices:\n  web: { command: node ${join(programs, 'serve.mjs')} ${web}, port: ${web} }\n`,
    );
    await p.ok(['up'], FAST);
    const first = await liveSupervisor(p);
    await waitFor(async () => (await get(board, p.stateDir)) === 200, { what: 'the supervisor’s dashboard' });

    const watch = p.start(['watch'], FAST);
    let err = '';
    watch.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    watch.stdout!.resume();
    await waitFor(() => isGone(first), { timeout: 15_000, what: 'the supervisor to hand over' });
    await waitFor(() => err.includes(`dashboard: http://127.0.0.1:${board}/`), {
      timeout: 10_000,
      what: `watch to serve the dashboard:\n${err}`,
    });
    expect(await get(board, p.stateDir), err).toBe(200);

    watch.kill('SIGINT');
    await waitFor(() => watch.exitCode !== null, { timeout: 10_000, what: 'watch to exit' });
    const again = await liveSupervisor(p, 'a supervisor to take the duties back');
    expect(again).not.toBe(first);
    // The log is the supervisors' both: the second one's line is the second such line.
    await waitFor(() => supervisorLog(p).split(`dashboard: http://127.0.0.1:${board}/`).length === 3, {
      timeout: 10_000,
      what: 'the new supervisor to serve it',
    });
    expect(await get(board, p.stateDir)).toBe(200);
    await p.ok(['down']);
    expect(p.tagged()).toEqual([]);
  });
});
