import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { getSystem } from '../../src/runtime/system.js';
import { acquireLock, type Release } from '../../src/state/lock.js';
import { ensureStateDir, statePaths } from '../../src/state/paths.js';
import { waitFor } from '../helpers/wait.js';
import { removeTempDirs, tempDir, transpileStateForChild } from '../unit/state-support.js';

const system = getSystem();
const children: ChildProcess[] = [];
const releases: Release[] = [];
let stateDir: string;
let lockPath: string;
let stateJs: string;

beforeAll(() => {
  stateJs = transpileStateForChild();
});
beforeEach(() => {
  stateDir = join(tempDir(), '.uiprocs');
  expect(ensureStateDir(stateDir).ok).toBe(true);
  lockPath = statePaths(stateDir).lock;
});
afterEach(() => {
  for (const release of releases.splice(0)) release();
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
afterAll(removeTempDirs);

function run(args: string[]): ChildProcess & { pid: number } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  if (child.pid === undefined) throw new Error('spawn failed');
  return child as ChildProcess & { pid: number };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  return new Promise((r) => child.on('close', (code) => r({ code, out, err })));
}

/**
 * A foreign holder written in plain node: it takes the lock file with its own identity
 * read from /proc, exactly as uiprocs would, and then sleeps forever.
 */
const HOLDER = `
  const fs = require('node:fs');
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const body = JSON.stringify({ pid: process.pid, startTime, bootId, command: 'uiprocs up', acquiredAt: new Date().toISOString(), token: 'child' });
  fs.writeFileSync(process.argv[1] + '.tmp', body);
  fs.linkSync(process.argv[1] + '.tmp', process.argv[1]);
  fs.unlinkSync(process.argv[1] + '.tmp');
  console.log('held');
  setInterval(() => {}, 1e9);
`;

async function holdInChild(): Promise<ChildProcess & { pid: number }> {
  const child = run(['-e', HOLDER, lockPath]);
  await waitFor(() => existsSync(lockPath), { timeout: 5000, what: 'child to hold the lock' });
  return child;
}

describe('lock against other processes', () => {
  it('waits for a live holder, says so after ~1 s, and takes over promptly once it dies', async () => {
    const holder = await holdInChild();
    const waits: number[] = [];
    const started = performance.now();
    const pending = acquireLock(stateDir, {
      command: 'uiprocs test',
      clock: systemClock,
      system,
      timeoutMs: 20_000,
      onWait: (h) => {
        expect(h).toMatchObject({ pid: holder.pid, command: 'uiprocs up' });
        waits.push(performance.now() - started);
      },
    });
    await waitFor(() => waits.length > 0, { timeout: 5000, what: 'onWait' });
    expect(waits[0]).toBeGreaterThanOrEqual(990);
    // The notice comes once, after about a second; the margin is for a loaded CI box.
    expect(waits[0]).toBeLessThan(3000);

    const killed = exitOf(holder);
    holder.kill('SIGKILL');
    await killed;
    const diedAt = performance.now();
    const r = await pending;
    expect(r.ok).toBe(true);
    if (r.ok) releases.push(r.value);
    // Taken over on the next look, not after the 20 s timeout.
    expect(performance.now() - diedAt).toBeLessThan(3000);
    expect(waits).toHaveLength(1);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
  });

  it('a holder that is gone (its PID exited) is taken over at once', async () => {
    const holder = await holdInChild();
    const gone = exitOf(holder);
    holder.kill('SIGKILL');
    await gone;
    let waited = false;
    const r = await acquireLock(stateDir, {
      command: 't',
      clock: systemClock,
      system,
      timeoutMs: 5000,
      onWait: () => {
        waited = true;
      },
    });
    expect(r.ok).toBe(true);
    if (r.ok) releases.push(r.value);
    // "At once" is a fact, not a time: nobody was ever told to wait for a dead holder.
    expect(waited).toBe(false);
  });

  it('a holder whose PID is alive but is another process (start time differs) is taken over', async () => {
    const own = system.proc(process.pid);
    if (own === undefined) throw new Error('no /proc entry for ourselves');
    writeFileSync(
      lockPath,
      JSON.stringify({
        pid: process.pid,
        startTime: String(Number(own.startTime) - 1),
        bootId: system.bootId(),
        command: 'uiprocs up',
        acquiredAt: '2026-01-01T00:00:00Z',
        token: 'old',
      }),
    );
    const r = await acquireLock(stateDir, { command: 't', clock: systemClock, system, timeoutMs: 5000 });
    expect(r.ok).toBe(true);
    if (r.ok) releases.push(r.value);
  });

  it('a garbage lock file is taken over', async () => {
    writeFileSync(lockPath, 'not json at all');
    const r = await acquireLock(stateDir, { command: 't', clock: systemClock, system, timeoutMs: 5000 });
    expect(r.ok).toBe(true);
    if (r.ok) releases.push(r.value);
  });

  it('a process that exits while holding the lock releases it on the way out', async () => {
    const script = `
      import { acquireLock } from ${JSON.stringify(join(stateJs, 'lock.js'))};
      import { getSystem } from ${JSON.stringify(join(stateJs, '../runtime/system.js'))};
      import { systemClock } from ${JSON.stringify(join(stateJs, '../core/clock.js'))};
      const r = await acquireLock(process.argv[1], { command: 'child', clock: systemClock, system: getSystem() });
      if (!r.ok) { console.error(JSON.stringify(r.error)); process.exit(3); }
      process.exit(0); // no release: the exit hook must do it
    `;
    const child = run(['--input-type=module', '-e', script, stateDir]);
    const result = await exitOf(child);
    expect(result.code, result.err).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('child processes racing over a dead holder’s lock are never inside together', async () => {
    // A dead holder to start with, so every contender first races to break it.
    writeFileSync(
      lockPath,
      JSON.stringify({
        pid: 4_000_000,
        startTime: '1',
        bootId: 'x',
        command: 'dead',
        acquiredAt: 'x',
        token: 'x',
      }),
    );
    const journal = join(stateDir, 'journal');
    writeFileSync(journal, '');
    const script = `
      import { appendFileSync } from 'node:fs';
      import { acquireLock } from ${JSON.stringify(join(stateJs, 'lock.js'))};
      import { getSystem } from ${JSON.stringify(join(stateJs, '../runtime/system.js'))};
      import { systemClock } from ${JSON.stringify(join(stateJs, '../core/clock.js'))};
      const [stateDir, journal] = process.argv.slice(1);
      for (let i = 0; i < 15; i++) {
        const r = await acquireLock(stateDir, { command: 'racer', clock: systemClock, system: getSystem(), timeoutMs: 30000 });
        if (!r.ok) { console.error(JSON.stringify(r.error)); process.exit(3); }
        appendFileSync(journal, 'in ' + process.pid + '\\n');
        await new Promise((res) => setTimeout(res, 2));
        appendFileSync(journal, 'out ' + process.pid + '\\n');
        r.value();
      }
    `;
    const racers = [0, 1, 2].map(() => exitOf(run(['--input-type=module', '-e', script, stateDir, journal])));
    for (const result of await Promise.all(racers)) expect(result.code, result.err).toBe(0);

    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3 * 15 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      const [inLine, outLine] = [lines[i] ?? '', lines[i + 1] ?? ''];
      expect(inLine.startsWith('in ')).toBe(true);
      expect(outLine).toBe(inLine.replace('in ', 'out '));
    }
    expect(existsSync(lockPath)).toBe(false);
    expect(existsSync(statePaths(stateDir).lockBreak)).toBe(false);
  });

  it('two in-process acquirers and a child holder take turns', async () => {
    const holder = await holdInChild();
    const a = acquireLock(stateDir, { command: 'a', clock: systemClock, system, timeoutMs: 10_000 });
    const b = acquireLock(stateDir, { command: 'b', clock: systemClock, system, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(holder.pid);
    holder.kill('SIGKILL');
    const first = await Promise.race([a, b]);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const firstToken = JSON.parse(readFileSync(lockPath, 'utf8')).token;
    await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).token).toBe(firstToken); // the other still waits
    first.value();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.ok && rb.ok).toBe(true);
    if (ra.ok) releases.push(ra.value);
    if (rb.ok) releases.push(rb.value);
  });
});
