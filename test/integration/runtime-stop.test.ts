import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { ServiceSpec } from '../../src/core/model.js';
import { createLinuxSystem } from '../../src/runtime/linux-system.js';
import { isPortFree } from '../../src/runtime/ports.js';
import { snapshotProcesses } from '../../src/runtime/service-processes.js';
import { type SpawnedService, spawnService } from '../../src/runtime/spawn.js';
import { findServiceProcesses, stopService, taggedProcesses } from '../../src/runtime/stop.js';
import { getSystem, processTable } from '../../src/runtime/system.js';
import { freePort, isGone, pidsTagged } from '../helpers/procs.js';
import { program, type TempProject, tempProject } from '../helpers/temp-project.js';
import { waitFor } from '../helpers/wait.js';

const system = createLinuxSystem();
const clock = systemClock;
let project: TempProject;
afterEach(() => project?.cleanup());

async function start(spec: ServiceSpec, port: number | null): Promise<SpawnedService> {
  const result = await spawnService(
    { spec, port, projectId: project.projectId, project: 'demo', baseEnv: process.env },
    { system },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  project.track(result.value.pid);
  return result.value;
}

async function ownerOf(port: number): Promise<number> {
  return waitFor(() => system.portOwners(port)[0]?.pid, { what: `a listener on ${port}` });
}

function stop(s: SpawnedService, name: string, signal = 'SIGTERM', timeoutMs = 5000) {
  return stopService(
    { pid: s.pid, pgid: s.pgid, projectId: project.projectId, service: name },
    { signal, timeoutMs, system, clock },
  );
}

async function expectAllGone(port: number | null): Promise<void> {
  expect(pidsTagged(project.projectId)).toEqual([]);
  if (port !== null) expect(await isPortFree(port)).toBe(true);
}

describe('stopService', () => {
  it('stops a plain server without waiting out its timeout, and frees its port', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('web', `node ${program('serve.mjs')} ${port}`), port);
    expect(await ownerOf(port)).toBe(s.pid);
    const report = await stop(s, 'web');
    expect(report).toMatchObject({ stopped: true, killed: [], survivors: [] });
    expect(report.durationMs).toBeLessThan(5000); // stop_timeout is 10 s
    expect(isGone(s.pid)).toBe(true);
    await expectAllGone(port);
  });

  it('stops a shell wrapper and the server it forked (`sh -c "server & wait"`)', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('wrap', [program('grandchild.sh'), String(port)]), port);
    const server = await ownerOf(port);
    expect(server).not.toBe(s.pid);
    expect(system.proc(server)!.ppid).toBe(s.pid);
    const report = await stop(s, 'wrap');
    expect(report).toMatchObject({ stopped: true, killed: [] });
    expect(isGone(server)).toBe(true);
    await expectAllGone(port);
  });

  it('finds a double-forked setsid grandchild by its tag and stops it', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('escape', `node ${program('setsid-grandchild.mjs')} ${port}`), port);
    const grandchild = await ownerOf(port);
    await waitFor(() => system.proc(grandchild)?.ppid !== s.pid, { what: 'reparenting' });
    const info = system.proc(grandchild)!;
    expect(info.sid).toBe(grandchild);
    expect(info.pgid).not.toBe(s.pgid);
    const found = findServiceProcesses(system, {
      pid: s.pid,
      pgid: s.pgid,
      projectId: project.projectId,
      service: 'escape',
    });
    expect(found.find((p) => p.pid === grandchild)?.via).toBe('tag');
    const report = await stop(s, 'escape');
    expect(report).toMatchObject({ stopped: true, killed: [] });
    expect(isGone(grandchild)).toBe(true);
    await expectAllGone(port);
  });

  it('stops leftovers by tag alone when the leader is gone (pid 0: no record believed)', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(
      project.spec('orphan', `node ${program('setsid-grandchild.mjs')} ${port} exit`),
      port,
    );
    const grandchild = await ownerOf(port);
    await waitFor(() => isGone(s.pid), { what: 'the leader to exit' });
    const found = findServiceProcesses(system, { projectId: project.projectId, service: 'orphan' });
    expect(found.map((p) => p.pid)).toEqual([grandchild]);
    const all = taggedProcesses(system, project.projectId);
    expect([...all.keys()]).toEqual(['orphan']);
    expect(all.get('orphan')!.map((p) => p.pid)).toEqual([grandchild]);
    const report = await stopService(
      { pid: 0, pgid: 0, projectId: project.projectId, service: 'orphan' },
      { signal: 'TERM', timeoutMs: 2000, system, clock },
    );
    expect(report.stopped).toBe(true);
    await expectAllGone(port);
  });

  it('taggedProcesses with known groups skips their members, still finds one that setsid escaped', async () => {
    project = tempProject();
    const [webPort, escPort] = [await freePort(), await freePort()];
    const web = await start(project.spec('web', `node ${program('serve.mjs')} ${webPort}`), webPort);
    const esc = await start(
      project.spec('escape', `node ${program('setsid-grandchild.mjs')} ${escPort}`),
      escPort,
    );
    const grandchild = await ownerOf(escPort);
    await ownerOf(webPort);
    // Both groups known (running records): only the escaped grandchild needs its tag read.
    const seen = taggedProcesses(system, project.projectId, new Set([web.pgid, esc.pgid]));
    expect([...seen.keys()]).toEqual(['escape']);
    expect(seen.get('escape')!.map((p) => p.pid)).toEqual([grandchild]);
    const all = taggedProcesses(system, project.projectId);
    expect([...all.keys()].sort()).toEqual(['escape', 'web']);
  });

  it("takes its first look from down's earlier snapshot: the escaped grandchild is stopped, one sweep after", async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('escape', `node ${program('setsid-grandchild.mjs')} ${port}`), port);
    const grandchild = await ownerOf(port);
    await waitFor(() => system.proc(grandchild)?.ppid !== s.pid, { what: 'reparenting' });
    // What down's leftover search takes: the running group's members skipped for tags.
    const firstLook = snapshotProcesses(system, project.projectId, new Set([s.pgid]));
    let sweeps = 0;
    const sweep = async () => {
      sweeps++;
      return snapshotProcesses(system, project.projectId);
    };
    const report = await stopService(
      { pid: s.pid, pgid: s.pgid, projectId: project.projectId, service: 'escape', startTime: s.startTime },
      { signal: 'SIGTERM', timeoutMs: 5000, system, clock, sweep, firstLook },
    );
    expect(report).toMatchObject({ stopped: true, killed: [], survivors: [] });
    // Only the last look (for children forked while stopping) swept /proc again.
    expect(sweeps).toBe(1);
    expect(isGone(grandchild)).toBe(true);
    await expectAllGone(port);
  });

  it('SIGKILLs a process that ignores SIGTERM after the timeout and names it', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('stubborn', `node ${program('ignore-sigterm.mjs')} ${port}`), port);
    await ownerOf(port);
    const report = await stop(s, 'stubborn', 'SIGTERM', 600);
    expect(report.stopped).toBe(true);
    expect(report.killed).toEqual([{ pid: s.pid, command: `node ${program('ignore-sigterm.mjs')} ${port}` }]);
    expect(report.durationMs).toBeGreaterThanOrEqual(600);
    expect(report.durationMs).toBeLessThan(5000);
    await expectAllGone(port);
  });

  it('waits for a slow but well-behaved shutdown without killing it', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('slow', `node ${program('trap-slow.mjs')} 400 ${port}`), port);
    await ownerOf(port);
    const report = await stop(s, 'slow', 'SIGTERM', 5000);
    expect(report).toMatchObject({ stopped: true, killed: [], survivors: [] });
    expect(report.durationMs).toBeGreaterThanOrEqual(400);
    expect(report.durationMs).toBeLessThan(4500); // before the 5 s timeout
    await expectAllGone(port);
  });

  it('escalates at once when forced (second Ctrl-C)', async () => {
    project = tempProject();
    const s = await start(project.spec('stubborn', `node ${program('ignore-sigterm.mjs')}`), null);
    // Its SIGTERM handler exists once it prints "running".
    await waitFor(() => existsSync(s.logPath) && readFileSync(s.logPath, 'utf8').includes('running'));
    const force = new AbortController();
    setTimeout(() => force.abort(), 200);
    const report = await stopService(
      { pid: s.pid, pgid: s.pgid, projectId: project.projectId, service: 'stubborn' },
      { signal: 'SIGTERM', timeoutMs: 30_000, system, clock, force: force.signal },
    );
    expect(report.stopped).toBe(true);
    expect(report.killed.map((k) => k.pid)).toEqual([s.pid]);
    expect(report.durationMs).toBeLessThan(10_000); // not the 30 s timeout
  });

  it('stops a process with 50 children, in and out of its group', async () => {
    project = tempProject();
    const port = await freePort();
    const s = await start(project.spec('many', `node ${program('fork-many.mjs')} 50 ${port}`), port);
    await ownerOf(port);
    await waitFor(() => processTable(system).filter((p) => p.ppid === s.pid).length === 50, {
      what: '50 children',
    });
    const report = await stop(s, 'many');
    expect(report).toMatchObject({ stopped: true, killed: [], survivors: [] });
    await expectAllGone(port);
  });

  it('works the same through the ps/lsof fallback (UIPROCS_SYSTEM=ps)', async () => {
    project = tempProject();
    const ps = getSystem({ UIPROCS_SYSTEM: 'ps' });
    const port = await freePort();
    const s = await start(project.spec('escape', `node ${program('setsid-grandchild.mjs')} ${port}`), port);
    const grandchild = await waitFor(() => ps.portOwners(port)[0]?.pid, { timeout: 10_000 });
    await waitFor(() => ps.proc(grandchild)?.ppid !== s.pid, { what: 'reparenting' });
    const found = findServiceProcesses(ps, {
      pid: s.pid,
      pgid: s.pgid,
      projectId: project.projectId,
      service: 'escape',
    });
    expect(found.map((p) => p.pid).sort()).toEqual([s.pid, grandchild].sort());
    const report = await stopService(
      { pid: s.pid, pgid: s.pgid, projectId: project.projectId, service: 'escape' },
      { signal: 'SIGTERM', timeoutMs: 5000, system: ps, clock },
    );
    expect(report).toMatchObject({ stopped: true, killed: [] });
    await expectAllGone(port);
  });

  it('never touches a foreign process: same command, no tag, other group; or same project, other service', async () => {
    project = tempProject();
    const port = await freePort();
    const foreignPort = await freePort();
    const strangerPort = await freePort();
    const s = await start(project.spec('web', `node ${program('serve.mjs')} ${port}`), port);
    const { UIPROCS_PROJECT: _p, UIPROCS_SERVICE: _s, ...cleanEnv } = process.env;
    const foreign = spawn('node', [program('serve.mjs'), String(strangerPort)], {
      stdio: 'ignore',
      env: cleanEnv,
    });
    const sibling = spawn('node', [program('serve.mjs'), String(foreignPort)], {
      stdio: 'ignore',
      detached: true,
      env: { ...cleanEnv, UIPROCS_PROJECT: project.projectId, UIPROCS_SERVICE: 'other' },
    });
    project.track(foreign.pid!);
    project.track(sibling.pid!);
    await ownerOf(foreignPort);
    expect(await ownerOf(strangerPort)).toBe(foreign.pid);
    const report = await stop(s, 'web');
    expect(report.stopped).toBe(true);
    expect(isGone(s.pid)).toBe(true);
    expect(isGone(foreign.pid!)).toBe(false);
    expect(isGone(sibling.pid!)).toBe(false);
    expect(system.portOwners(foreignPort).map((o) => o.pid)).toEqual([sibling.pid]);
    foreign.kill('SIGKILL');
    sibling.kill('SIGKILL');
  });
});
