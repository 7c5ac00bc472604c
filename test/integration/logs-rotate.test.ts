import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureLogWritable, rotateIfNeeded } from '../../src/logs/rotate.js';

let dir = '';
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uiprocs-rotate-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  }
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

const CHUNK_LINES = 10;
const LINE = (n: number) => `line ${String(n).padStart(6, '0')} ${'x'.repeat(87)}\n`; // 100 bytes
const CHUNK_BYTES = CHUNK_LINES * 100;

/**
 * A service stand-in: opens the log O_APPEND once, as spawn does for stdout, and writes a
 * 1 KB chunk of numbered lines every 10 ms through that one descriptor.
 */
function startWriter(path: string): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const fd = fs.openSync(process.argv[1], 'a');
    const line = ${LINE.toString()};
    let n = 0;
    setInterval(() => {
      let chunk = '';
      for (let i = 0; i < ${CHUNK_LINES}; i++) chunk += line(++n);
      fs.writeSync(fd, chunk);
    }, 10);
  `;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const numbers = (text: string) => [...text.matchAll(/^line (\d+) x+$/gm)].map((m) => Number(m[1]));
const wellFormed = (text: string) => /^(line \d{6} x{87}\n)*$/.test(text);

describe('rotateIfNeeded with a live writer', () => {
  it('keeps `keep` files near max_size while the service keeps writing through its descriptor', async () => {
    const path = join(dir, 'web.log');
    const log = { path, maxSize: 10_000, keep: 3 };
    const writer = startWriter(path);
    await waitFor(() => existsSync(path), 3000, 'the writer to start');

    let rotations = 0;
    let longestGap = 0; // between two checks: what the writer can add beyond max_size
    let lastCheck = performance.now();
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - lastCheck);
      lastCheck = now;
      const result = await rotateIfNeeded(log);
      expect(result.ok).toBe(true);
      if (result.ok && result.value.rotated) rotations++;
      await sleep(2);
    }
    expect(rotations).toBeGreaterThanOrEqual(5);

    // Rotation stopped: the live file must keep growing from offset 0, with no hole of
    // zeros (which a non-O_APPEND writer would leave) and whole lines only.
    const sizeAtStop = statSync(path).size;
    await waitFor(() => statSync(path).size >= sizeAtStop + 3 * CHUNK_BYTES, 3000, 'the live file to grow');
    expect(writer.exitCode).toBeNull();

    expect(readdirSync(dir).sort()).toEqual(['web.log', 'web.log.1', 'web.log.2', 'web.log.3']);
    const sizes: number[] = [];
    let previousLast = -1;
    for (const name of ['web.log.3', 'web.log.2', 'web.log.1', 'web.log']) {
      const text = readFileSync(join(dir, name), 'utf8');
      expect(text.includes('\0'), `${name} has no NUL bytes`).toBe(false);
      expect(wellFormed(text), `${name} holds whole lines`).toBe(true);
      const seq = numbers(text);
      expect(seq[0]!, `${name} continues after the older file`).toBeGreaterThan(previousLast);
      expect(
        seq.every((n, i) => i === 0 || n === seq[i - 1]! + 1),
        `${name} has no gap inside`,
      ).toBe(true);
      previousLast = seq.at(-1)!;
      if (name !== 'web.log') sizes.push(text.length);
    }
    console.info(
      `${rotations} rotations; rotated sizes ${sizes.join(', ')} (max_size 10000, write chunk 1000)`,
    );
    // max_size + what the writer adds between two checks: one chunk per 10 ms of the longest
    // gap, plus the chunk that crossed the threshold (the gap grows when CI is loaded).
    const bound = log.maxSize + CHUNK_BYTES * (Math.ceil(longestGap / 10) + 1);
    console.info(`longest gap between checks ${longestGap.toFixed(0)} ms → bound ${bound} bytes`);
    for (const size of sizes) {
      expect(size).toBeGreaterThanOrEqual(log.maxSize);
      expect(size).toBeLessThanOrEqual(bound);
    }
  });
});

describe('rotateIfNeeded', () => {
  const write = (name: string, content: string) => writeFileSync(join(dir, name), content);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');

  it('leaves a file under max_size, a missing file, and max_size 0 alone', async () => {
    write('a.log', '12345');
    expect(await rotateIfNeeded({ path: join(dir, 'a.log'), maxSize: 6, keep: 3 })).toEqual({
      ok: true,
      value: { rotated: false },
    });
    expect(await rotateIfNeeded({ path: join(dir, 'none.log'), maxSize: 1, keep: 3 })).toEqual({
      ok: true,
      value: { rotated: false },
    });
    expect(await rotateIfNeeded({ path: join(dir, 'a.log'), maxSize: 0, keep: 3 })).toEqual({
      ok: true,
      value: { rotated: false },
    });
    expect(readdirSync(dir)).toEqual(['a.log']);
  });

  it('shifts the rotated files up and drops the oldest', async () => {
    const path = join(dir, 'a.log');
    write('a.log', 'current\n');
    write('a.log.1', 'one\n');
    write('a.log.2', 'two\n');
    write('a.log.3', 'three\n');
    expect(await rotateIfNeeded({ path, maxSize: 5, keep: 3 })).toEqual({
      ok: true,
      value: { rotated: true },
    });
    expect(readdirSync(dir).sort()).toEqual(['a.log', 'a.log.1', 'a.log.2', 'a.log.3']);
    expect([read('a.log'), read('a.log.1'), read('a.log.2'), read('a.log.3')]).toEqual([
      '',
      'current\n',
      'one\n',
      'two\n',
    ]);
  });

  it('removes rotated files beyond a keep that was lowered', async () => {
    const path = join(dir, 'a.log');
    write('a.log', 'current\n');
    for (const i of [1, 2, 3, 4]) write(`a.log.${i}`, `${i}\n`);
    await rotateIfNeeded({ path, maxSize: 1, keep: 2 });
    expect(readdirSync(dir).sort()).toEqual(['a.log', 'a.log.1', 'a.log.2']);
    expect([read('a.log.1'), read('a.log.2')]).toEqual(['current\n', '1\n']);
  });

  it('only truncates with keep 0', async () => {
    const path = join(dir, 'a.log');
    write('a.log', 'current\n');
    expect(await rotateIfNeeded({ path, maxSize: 1, keep: 0 })).toEqual({
      ok: true,
      value: { rotated: true },
    });
    expect(readdirSync(dir)).toEqual(['a.log']);
    expect(read('a.log')).toBe('');
  });

  it('fails with io naming the path and the OS reason when the log cannot be rotated', async () => {
    const path = join(dir, 'is-a-dir');
    mkdirSync(path);
    const result = await rotateIfNeeded({ path, maxSize: 1, keep: 1 });
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'io', message: expect.stringContaining(path) },
    });
    expect(result).toMatchObject({ error: { message: expect.stringContaining('EISDIR') } });
  });
});

describe('ensureLogWritable', () => {
  const isRoot = process.getuid?.() === 0;

  it('creates missing parent folders', () => {
    const path = join(dir, 'a', 'b', 'web.log');
    expect(ensureLogWritable({ path, maxSize: 1, keep: 1 })).toEqual({ ok: true, value: undefined });
    expect(existsSync(path)).toBe(true);
  });

  it('fails with io and ENOTDIR when the parent is a regular file (even for root)', () => {
    writeFileSync(join(dir, 'file'), '');
    const path = join(dir, 'file', 'logs', 'web.log');
    const result = ensureLogWritable({ path, maxSize: 1, keep: 1 });
    expect(result).toMatchObject({
      ok: false,
      error: {
        reason: 'io',
        message: `cannot create log directory ${join(dir, 'file', 'logs')}: ENOTDIR (not a directory)`,
      },
    });
  });

  it('says ENOTDIR, not EEXIST, when the folder of the log is a regular file', () => {
    writeFileSync(join(dir, 'file'), '');
    const path = join(dir, 'file', 'web.log');
    expect(ensureLogWritable({ path, maxSize: 1, keep: 1 })).toEqual({
      ok: false,
      error: { reason: 'io', message: `cannot write log file ${path}: ENOTDIR (not a directory)` },
    });
  });

  it('fails with io and EISDIR when the log path is a folder', () => {
    const result = ensureLogWritable({ path: dir, maxSize: 1, keep: 1 });
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'io', message: expect.stringContaining('EISDIR') },
    });
  });

  if (isRoot) console.info('skipping the chmod 0500 case: running as root, permission bits do not stop root');
  it.skipIf(isRoot)('fails with io and EACCES in a read-only folder', () => {
    const readOnly = join(dir, 'ro');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    const result = ensureLogWritable({ path: join(readOnly, 'web.log'), maxSize: 1, keep: 1 });
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'io', message: expect.stringContaining('EACCES') },
    });
    chmodSync(readOnly, 0o700);
  });
});
