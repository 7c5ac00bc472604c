/**
 * A broken manifest does not lock the user out of what runs (issue #11, item 4): with
 * services running and a syntax error in the manifest, `ps` and `down` (no targets) work
 * from the run records alone and print the manifest's located errors as a warning, while
 * `up` and every targeted command still refuse (exit 2) and change nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectId } from '../../src/core/identity.js';
import type { RunRecord } from '../../src/core/model.js';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort, pidsTagged } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { allPids, statOf } from './faults.js';
import { answers, type E2eProject, e2eProject, isGone, programs, trackProjects } from './harness.js';

const serve = join(programs, 'serve.mjs');

const track = trackProjects();
/** Tags of projects whose state dir is not the harness's default (cleanup finds them by it). */
const extraIds: string[] = [];
const strangers: ChildProcess[] = [];
afterEach(async () => {
  for (const s of strangers.splice(0)) s.kill('SIGKILL');
  for (const id of extraIds.splice(0))
    for (const pid of pidsTagged(id)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
});

/** Appends a service whose command opens a quote it never closes; returns the error's line. */
function breakManifest(p: E2eProject): number {
  const file = join(p.dir, 'ui-procs.yaml');
  const text = readFileSync(file, 'utf8').trimEnd();
  writeFileSync(file, `${text}\n  broken:\n    command: "python -m http.server\n`);
  return text.split('\n').length + 2;
}

function readRecord(stateDir: string, name: string): RunRecord {
  return JSON.parse(readFileSync(join(stateDir, 'run', `${name}.json`), 'utf8')) as RunRecord;
}

/** Live members of these process groups: none may be left once `down` returns. */
function groupMembers(groups: number[]): number[] {
  return allPids().filter((pid) => {
    const st = statOf(pid);
    return st !== undefined && groups.includes(st.pgid) && !isGone(pid);
  });
}

describe('a manifest with a syntax error, services running', () => {
  it('ps shows them with a located warning (exit 0); up and targeted commands refuse; down stops them all', async () => {
    const p = track(e2eProject());
    const [w, a, s, f] = [await freePort(), await freePort(), await freePort(), await freePort()];
    p.write(`
services:
  web: { command: node ${serve} ${w}, port: ${w}, group: ui }
  api: { command: node ${join(programs, 'ignore-sigterm.mjs')} ${a}, port: ${a}, stop_signal: SIGINT, stop_timeout: 30s }
  escaped: { command: node ${join(programs, 'setsid-grandchild.mjs')} ${s}, port: ${s} }
`);
    await p.ok(['up']);
    const stranger = spawn(process.execPath, [serve, String(f)], { stdio: 'ignore' });
    strangers.push(stranger);
    await waitFor(() => answers(f), { what: 'the foreign server' });
    const pids = Object.fromEntries(['web', 'api', 'escaped'].map((n) => [n, p.record(n)!.pid]));
    const groups = ['web', 'api', 'escaped'].map((n) => p.record(n)!.pgid);
    const tagged = p.tagged().sort();
    expect(tagged.length).toBeGreaterThanOrEqual(4); // escaped's server left its group

    // The project line itself: its name cannot be read, so the id that down's tag sweep
    // needs (escaped's server is found by it alone) must come from the records.
    const file = join(p.dir, 'ui-procs.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(`project: ${p.project}`, `project: "${p.project}`),
    );
    const located = 'ui-procs.yaml:2:10: this quoted string is never closed';

    const table = await p.run(['ps']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stderr).toMatch(/^warning: /);
    expect(table.stderr).toContain(located);
    for (const [name, pid] of Object.entries(pids))
      expect(table.stdout).toMatch(new RegExp(`^${name}\\s+\\S+\\s+running\\s+${pid}\\s`, 'm'));
    const json = await p.run(['ps', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toContain(located);
    const rows = JSON.parse(json.stdout) as StatusRow[];
    expect(rows.map((r) => [r.name, r.status, r.pid, r.url])).toEqual([
      ['api', 'running', pids.api, `http://127.0.0.1:${a}/`],
      ['escaped', 'running', pids.escaped, `http://127.0.0.1:${s}/`],
      ['web', 'running', pids.web, `http://127.0.0.1:${w}/`],
    ]);

    for (const args of [['up'], ['down', 'web'], ['restart'], ['ps', 'web'], ['ps', '--check']]) {
      const refused = await p.run(args);
      expect(refused.code, `uiprocs ${args.join(' ')}\n${refused.stderr}`).toBe(2);
      expect(refused.stderr).toContain(located);
      expect(refused.stdout).toBe('');
      for (const [name, pid] of Object.entries(pids)) expect(p.record(name)?.pid, name).toBe(pid);
      expect(p.tagged().sort()).toEqual(tagged);
    }

    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/^warning: /);
    expect(down.stderr).toContain(located);
    // api was stopped by the stop_signal its record keeps (SIGINT), not SIGTERM + a 10 s kill.
    expect(down.stderr).not.toMatch(/ignored|killed/);
    for (const pid of tagged) expect(isGone(pid), `pid ${pid}`).toBe(true);
    expect(groupMembers(groups)).toEqual([]);
    expect(p.tagged()).toEqual([]);
    for (const port of [w, a, s]) expect(await answers(port)).toBe(false);
    for (const name of Object.keys(pids)) expect(p.record(name)).toBeUndefined();
    expect(isGone(stranger.pid!)).toBe(false);
    expect(await answers(f)).toBe(true);

    const after = await p.run(['ps', '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual([]);
  });

  it('state_dir is read from a manifest broken elsewhere; a broken state_dir line refuses and stops nothing', async () => {
    const p = track(e2eProject());
    const stateDir = join(p.dir, 'state', 'here');
    const id = projectId(p.project, stateDir);
    extraIds.push(id);
    const port = await freePort();
    const manifest = (stateDirLine: string) =>
      `${stateDirLine}\nservices:\n  web: { command: node ${serve} ${port}, port: ${port} }\n`;
    p.write(manifest("state_dir: 'state/here'   # not the default"));
    await p.ok(['up']);
    const { pid } = readRecord(stateDir, 'web');
    expect(existsSync(p.stateDir)).toBe(false);

    // Only the state_dir line is broken: the state dir cannot be told, so nothing falls back.
    p.write(manifest("state_dir: 'state/here"));
    for (const args of [['ps'], ['down']]) {
      const refused = await p.run(args);
      expect(refused.code, `uiprocs ${args.join(' ')}\n${refused.stderr}`).toBe(2);
      expect(refused.stdout).toBe('');
      expect(isGone(pid)).toBe(false);
      expect(readRecord(stateDir, 'web').pid).toBe(pid);
    }
    expect(existsSync(p.stateDir)).toBe(false);

    p.write(manifest("state_dir: 'state/here'   # not the default"));
    breakManifest(p);
    const ps = await p.run(['ps', '--json']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stderr).toContain('this quoted string is never closed');
    expect((JSON.parse(ps.stdout) as StatusRow[]).map((r) => [r.name, r.status, r.pid])).toEqual([
      ['web', 'running', pid],
    ]);
    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(isGone(pid)).toBe(true);
    expect(pidsTagged(id)).toEqual([]);
    expect(await answers(port)).toBe(false);
    expect(existsSync(p.stateDir)).toBe(false);
  });
});

describe('records keep how to stop their service', () => {
  it('a service that left the manifest is stopped by its own stop_signal, not SIGTERM and a kill', async () => {
    const p = track(e2eProject());
    const [a, w] = [await freePort(), await freePort()];
    const web = `  web: { command: node ${serve} ${w}, port: ${w} }\n`;
    p.write(
      `services:\n${web}  api: { command: node ${join(programs, 'ignore-sigterm.mjs')} ${a}, port: ${a}, stop_signal: SIGINT, stop_timeout: 30s }\n`,
    );
    await p.ok(['up']);
    const { pid } = p.record('api')!;
    p.write(`services:\n${web}`);
    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/api .*down \(not in the manifest\)/);
    expect(down.stderr).not.toMatch(/ignored|killed/);
    expect(isGone(pid)).toBe(true);
    expect(await answers(a)).toBe(false);
  });
});
