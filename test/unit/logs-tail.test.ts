import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tailLines, tailOfRange } from '../../src/logs/tail.js';

const dir = mkdtempSync(join(tmpdir(), 'uiprocs-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('tailLines', () => {
  it('returns the last N lines of a 20 MB file quickly, reading only its end', async () => {
    const lineCount = 700_000;
    const parts: string[] = [];
    for (let i = 0; i < lineCount; i++) parts.push(`line ${String(i).padStart(7, '0')} of the big log\n`);
    const path = file('big.log', parts.join(''));
    const megabytes = statSync(path).size / 1e6;

    const timings: number[] = [];
    let lines: string[] = [];
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      lines = await tailLines(path, 100);
      timings.push(performance.now() - started);
    }
    console.info(
      `tailLines(100) of a ${megabytes.toFixed(1)} MB file: ${timings.map((t) => t.toFixed(2)).join(' / ')} ms (first / warm)`,
    );
    expect(lines).toHaveLength(100);
    expect(lines[0]).toBe('line 0699900 of the big log');
    expect(lines[99]).toBe('line 0699999 of the big log');
    expect(Math.min(...timings)).toBeLessThan(50); // generous for loaded CI; bytes are the proof

    // The real proof: count the bytes read through the handle.
    const fh = await open(path, 'r');
    let bytesRead = 0;
    const read = fh.read.bind(fh) as (...args: unknown[]) => Promise<{ bytesRead: number }>;
    const counting = new Proxy(fh, {
      get: (target, key) =>
        key === 'read'
          ? async (...args: unknown[]) => {
              const result = await read(...args);
              bytesRead += result.bytesRead;
              return result;
            }
          : Reflect.get(target, key),
    });
    try {
      expect(await tailOfRange(counting, statSync(path).size, 100)).toEqual(lines);
    } finally {
      await fh.close();
    }
    expect(bytesRead).toBeLessThanOrEqual(64 * 1024);
  });

  it('returns every line when the file has fewer than N', async () => {
    expect(await tailLines(file('few.log', 'a\nb\nc\n'), 10)).toEqual(['a', 'b', 'c']);
  });

  it('counts a last line without trailing newline', async () => {
    expect(await tailLines(file('open.log', 'a\nb\nc'), 2)).toEqual(['b', 'c']);
    expect(await tailLines(file('one.log', 'only'), 5)).toEqual(['only']);
  });

  it('strips CRLF terminators', async () => {
    expect(await tailLines(file('crlf.log', 'a\r\nb\r\nc\r\n'), 2)).toEqual(['b', 'c']);
  });

  it('keeps empty lines and multi-byte characters across chunk boundaries', async () => {
    const long = 'é'.repeat(70_000); // 140 KB: spans three 64 KB chunks
    expect(await tailLines(file('utf8.log', `x\n\n${long}\n`), 2)).toEqual(['', long]);
  });

  it('gives nothing for a missing or empty file, or N ≤ 0', async () => {
    expect(await tailLines(join(dir, 'missing.log'), 10)).toEqual([]);
    expect(await tailLines(file('empty.log', ''), 10)).toEqual([]);
    expect(await tailLines(file('some.log', 'a\n'), 0)).toEqual([]);
  });

  it('reads the whole file for N = Infinity', async () => {
    expect(await tailLines(file('all.log', 'a\nb\n'), Number.POSITIVE_INFINITY)).toEqual(['a', 'b']);
  });

  it('throws other I/O errors for the caller to report', async () => {
    await expect(tailLines(dir, 5)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
