import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FollowOptions, followLogs } from '../../src/logs/follow.js';
import type { LogSource } from '../../src/logs/print.js';
import { rotateIfNeeded } from '../../src/logs/rotate.js';

let dir = '';
const children: ChildProcess[] = [];
const followers: { ac: AbortController; done: Promise<void> }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uiprocs-follow-'));
});

afterEach(async () => {
  for (const f of followers.splice(0)) {
    f.ac.abort();
    await f.done;
  }
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Received {
  line: string;
  at: number;
}

/** Starts following; every printed line is recorded with the time it was printed. */
function follow(services: LogSource[], opts: Partial<FollowOptions> = {}) {
  const ac = new AbortController();
  const received: Received[] = [];
  const warnings: string[] = [];
  const done = followLogs(services, {
    prefix: false,
    color: false,
    tail: 10,
    signal: ac.signal,
    warn: (m) => warnings.push(m),
    out: (s) => {
      const at = Date.now();
      for (const line of s.split('\n').slice(0, -1)) received.push({ line, at });
    },
    ...opts,
  });
  followers.push({ ac, done });
  return { ac, done, received, warnings, lines: () => received.map((r) => r.line) };
}

/** Polls a condition every 5 ms: tests wait for what they expect, not for a fixed time. */
async function waitFor(condition: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A separate process appending `tick <n> <epoch ms>` lines through its own O_APPEND descriptor. */
function startWriter(path: string, everyMs: number): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const fd = fs.openSync(process.argv[1], 'a');
    let n = 0;
    setInterval(() => fs.writeSync(fd, 'tick ' + (++n) + ' ' + Date.now() + '\\n'), ${everyMs});
  `;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const ticks = (lines: string[]) =>
  lines.filter((l) => l.startsWith('tick ')).map((l) => Number(l.split(' ')[1]));

describe('followLogs', () => {
  it('prints the tails, then new lines of a live writer promptly', async () => {
    const path = join(dir, 'web.log');
    writeFileSync(path, 'old 1\nold 2\n');
    const f = follow([{ name: 'web', path }], { tail: 1 });
    await waitFor(() => f.received.length >= 1, 3000, 'the tail');
    expect(f.lines()).toEqual(['old 2']);

    startWriter(path, 50);
    await waitFor(() => ticks(f.lines()).length >= 20, 5000, '20 ticks');
    const latencies = f.received
      .filter((r) => r.line.startsWith('tick '))
      .map((r) => r.at - Number(r.line.split(' ')[2]))
      .sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)]!;
    const max = latencies.at(-1)!;
    console.info(`follow latency over ${latencies.length} lines: median ${median} ms, max ${max} ms`);
    // Unloaded the max is tens of ms; the bound only catches a follower that falls back to slow polling.
    expect(max).toBeLessThan(2000);
    expect(ticks(f.lines()).slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('interleaves services with their prefixes', async () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'bravo.log');
    writeFileSync(a, '');
    writeFileSync(b, '');
    const f = follow(
      [
        { name: 'a', path: a },
        { name: 'bravo', path: b },
      ],
      { prefix: true },
    );
    await sleep(20);
    appendFileSync(a, 'one\n');
    await waitFor(() => f.received.length === 1);
    appendFileSync(b, 'two\n');
    await waitFor(() => f.received.length === 2);
    appendFileSync(a, 'three\n');
    await waitFor(() => f.received.length === 3);
    expect(f.lines()).toEqual(['a     | one', 'bravo | two', 'a     | three']);
  });

  it('picks up a file created after following started, even in a folder created later', async () => {
    const path = join(dir, 'later.log');
    const nested = join(dir, 'logs', 'deep.log');
    const f = follow(
      [
        { name: 'later', path },
        { name: 'deep', path: nested },
      ],
      { pollMs: 100 },
    );
    await sleep(50);
    const written = Date.now();
    writeFileSync(path, 'first line\n');
    await waitFor(() => f.lines().includes('first line'), 500, 'the new file');
    console.info(`created-later file printed after ${Date.now() - written} ms`);

    mkdirSync(join(dir, 'logs'));
    writeFileSync(nested, 'from a new folder\n');
    await waitFor(() => f.lines().includes('from a new folder'), 1000, 'the file in a new folder');
    // Once watched, the new folder gives fast updates too.
    await sleep(150);
    const appended = Date.now();
    appendFileSync(nested, 'second\n');
    await waitFor(() => f.lines().includes('second'), 500, 'the append');
    console.info(`append in a later folder printed after ${Date.now() - appended} ms`);
  });

  it('continues from the start of a file truncated in place', async () => {
    const path = join(dir, 'trunc.log');
    writeFileSync(path, `${'x'.repeat(200)}\nlast before\n`);
    const f = follow([{ name: 't', path }], { tail: 1 });
    await waitFor(() => f.lines().includes('last before'));
    truncateSync(path, 0);
    appendFileSync(path, 'after truncate\n');
    await waitFor(() => f.lines().includes('after truncate'), 1000, 'the line after truncation');
    expect(f.lines()).toEqual(['last before', 'after truncate']);
  });

  it('re-opens a file replaced by rename, after draining what was written to the old one', async () => {
    const path = join(dir, 'app.log');
    writeFileSync(path, 'before\n');
    const oldFd = openSync(path, 'a');
    const f = follow([{ name: 'app', path }]);
    await waitFor(() => f.lines().includes('before'));

    renameSync(path, `${path}.1`);
    writeSync(oldFd, 'late, to the old file\n'); // the writer has not reopened yet
    closeSync(oldFd);
    await sleep(20);
    writeFileSync(path, 'new file 1\n');
    await waitFor(() => f.lines().includes('new file 1'), 1000, 'the new file');
    appendFileSync(path, 'new file 2\n');
    await waitFor(() => f.lines().includes('new file 2'), 1000, 'an append to the new file');
    expect(f.lines()).toEqual(['before', 'late, to the old file', 'new file 1', 'new file 2']);
  });

  it('keeps printing through copy-truncate rotations of a live writer', async () => {
    const path = join(dir, 'busy.log');
    const f = follow([{ name: 'busy', path }], { tail: 0 });
    startWriter(path, 5);
    await waitFor(() => ticks(f.lines()).length > 0, 3000, 'the writer to start');
    let rotations = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const r = await rotateIfNeeded({ path, maxSize: 600, keep: 2 });
      if (r.ok && r.value.rotated) rotations++;
      await sleep(30);
    }
    const seen = ticks(f.lines());
    const last = seen.at(-1)!;
    await waitFor(() => ticks(f.lines()).some((n) => n > last + 5), 1000, 'lines after the rotations');
    const all = ticks(f.lines());
    expect(rotations).toBeGreaterThanOrEqual(3);
    // Strictly increasing: nothing printed twice or out of order across truncations.
    expect(all.every((n, i) => i === 0 || n > all[i - 1]!)).toBe(true);
    // Copy-truncate may lose a line in its window, but not whole stretches.
    expect(all.length).toBeGreaterThan(all.at(-1)! * 0.9);
    expect(f.lines().every((l) => /^tick \d+ \d+$/.test(l))).toBe(true);
  });

  it('holds a partial line until its newline', async () => {
    const path = join(dir, 'partial.log');
    const other = join(dir, 'other.log');
    writeFileSync(path, 'done 1\nhalf at start ');
    writeFileSync(other, '');
    const f = follow(
      [
        { name: 'p', path },
        { name: 'o', path: other },
      ],
      { pollMs: 30 },
    );
    await waitFor(() => f.lines().includes('done 1'));
    appendFileSync(path, 'half ');
    appendFileSync(other, 'sentinel\n');
    await waitFor(() => f.lines().includes('sentinel'));
    await sleep(100); // a few poll rounds: the partial line must still be held
    expect(f.lines()).toEqual(['done 1', 'sentinel']);

    appendFileSync(path, 'whole\r\n');
    await waitFor(() => f.lines().length === 3);
    expect(f.lines()[2]).toBe('half at start half whole');

    appendFileSync(path, 'unfinished at exit');
    await sleep(100);
    f.ac.abort();
    await f.done;
    expect(f.lines().at(-1)).toBe('unfinished at exit');
  });

  it('resolves after abort and leaves no watcher, timer or open file behind', async () => {
    const watchers = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    await sleep(50); // handles closed by earlier tests leave the list a loop turn after closing
    const before = watchers();
    const setSpy = vi.spyOn(globalThis, 'setInterval');
    const clearSpy = vi.spyOn(globalThis, 'clearInterval');
    try {
      const path = join(dir, 'x.log');
      writeFileSync(path, 'a\n');
      const f = follow([
        { name: 'x', path },
        { name: 'y', path: join(dir, 'missing', 'y.log') },
      ]);
      await waitFor(() => f.lines().includes('a'));
      await waitFor(() => watchers() === before + 1, 1000, 'one directory watcher');
      appendFileSync(path, 'b\n');
      f.ac.abort();
      await expect(f.done).resolves.toBeUndefined();
      await waitFor(() => watchers() === before, 1000, 'the watcher to be released');
      const created = setSpy.mock.results.map((r) => r.value);
      const cleared = clearSpy.mock.calls.map((c) => c[0]);
      expect(created.length).toBeGreaterThan(0);
      for (const timer of created) expect(cleared).toContain(timer);
      // Every file handle was closed: the file can be removed and nothing is left open on it.
      expect(process.getActiveResourcesInfo().filter((r) => r === 'FileHandle')).toEqual([]);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
  });

  it('returns at once when the signal is already aborted, after printing the tails', async () => {
    const path = join(dir, 'x.log');
    writeFileSync(path, 'a\nb\n');
    const ac = new AbortController();
    ac.abort();
    let text = '';
    await followLogs([{ name: 'x', path }], {
      prefix: false,
      color: false,
      signal: ac.signal,
      out: (s) => (text += s),
    });
    expect(text).toBe('a\nb\n');
  });

  it('stays cheap while idle', async () => {
    const services = Array.from({ length: 5 }, (_, i) => {
      const path = join(dir, `idle-${i}.log`);
      writeFileSync(path, 'x\n');
      return { name: `idle-${i}`, path };
    });
    const cpuMsDuring = async (ms: number) => {
      const cpu = process.cpuUsage();
      await sleep(ms);
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000;
    };
    const baseline = await cpuMsDuring(1000); // this test process doing nothing
    const f = follow(services);
    await waitFor(() => f.received.length === 5);
    const following = await cpuMsDuring(1000);
    console.info(
      `idle follow of 5 logs: ${following.toFixed(1)} ms CPU per second (test process idle: ${baseline.toFixed(1)} ms)`,
    );
    expect(following - baseline).toBeLessThan(50);
  });
});
