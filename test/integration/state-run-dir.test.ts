/**
 * The supervisor's cheap look at run/ (state/run-dir.ts) over real processes: the listing is
 * reused only while run/'s mtime stands still and is old enough, and a death is seen at
 * once through the descriptor kept open on /proc/<pid>/stat.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/model.js';
import { getSystem } from '../../src/runtime/system.js';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';
import { type RunDirLook, runDirObserver } from '../../src/state/run-dir.js';
import { markStopped } from '../../src/state/stop-marker.js';
import { writeRecord } from '../../src/state/store.js';
import { waitFor } from '../helpers/wait.js';
import { record, removeTempDirs, tempDir } from '../unit/state-support.js';

const system = getSystem();
const children: ChildProcess[] = [];
let stateDir: string;

beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
});
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  removeTempDirs();
});

async function forever(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], {
    stdio: 'ignore',
    detached: true,
  });
  children.push(child);
  const pid = child.pid!;
  await waitFor(() => system.proc(pid) !== undefined, { what: 'child in /proc' });
  return child as ChildProcess & { pid: number };
}

function recordFor(name: string, pid: number): RunRecord {
  const info = system.proc(pid)!;
  return record(name, { pid, pgid: pid, sid: pid, startTime: info.startTime, bootId: system.bootId() });
}

/** Makes run/'s mtime a minute old: past the racy window, so a look may reuse its listing. */
function age(): void {
  const old = new Date(Date.now() - 60_000);
  utimesSync(statePaths(stateDir).run, old, old);
}

const statusOf = (look: RunDirLook, name: string) =>
  look.kind === 'seen' ? look.observed.services[name]?.status : 'gone';

describe('runDirObserver (cached)', () => {
  it('reuses the listing while run/ is unchanged, re-reads after a record lands, and sees a death at once', async () => {
    const a = await forever();
    expect(writeRecord(stateDir, recordFor('a', a.pid)).ok).toBe(true);
    const observer = runDirObserver(system, { cached: true });
    let look = observer.look(stateDir);
    expect(look).toMatchObject({ kind: 'seen', reread: true });
    expect(statusOf(look, 'a')).toBe('running');
    // Inside the racy window every look re-reads; once run/'s mtime is old, none does.
    expect(observer.look(stateDir)).toMatchObject({ reread: true });
    age();
    observer.look(stateDir);
    look = observer.look(stateDir);
    expect(look).toMatchObject({ reread: false });
    expect(statusOf(look, 'a')).toBe('running');

    const b = await forever();
    expect(writeRecord(stateDir, recordFor('b', b.pid)).ok).toBe(true);
    look = observer.look(stateDir);
    expect(look).toMatchObject({ reread: true });
    expect(statusOf(look, 'b')).toBe('running');

    age();
    observer.look(stateDir);
    const exited = new Promise((r) => a.once('exit', r));
    a.kill('SIGKILL');
    await exited;
    look = observer.look(stateDir);
    expect(look).toMatchObject({ reread: false });
    expect(statusOf(look, 'a')).toBe('stale');
    expect(statusOf(look, 'b')).toBe('running');
  });

  it('lists stop markers, and says gone once the state dir is removed', async () => {
    const a = await forever();
    expect(writeRecord(stateDir, recordFor('a', a.pid)).ok).toBe(true);
    const observer = runDirObserver(system, { cached: true });
    observer.look(stateDir);
    age();
    observer.look(stateDir);
    expect(markStopped(stateDir, 'a').ok).toBe(true);
    const look = observer.look(stateDir);
    expect(look.kind === 'seen' && [...look.stopped]).toEqual(['a']);
    removeTempDirs();
    expect(observer.look(stateDir)).toEqual({ kind: 'gone' });
  });
});
