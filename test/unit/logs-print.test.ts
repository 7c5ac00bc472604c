import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shouldColor } from '../../src/logs/colors.js';
import { createPrefixer } from '../../src/logs/prefix.js';
import { printLogs } from '../../src/logs/print.js';

const dir = mkdtempSync(join(tmpdir(), 'uiprocs-print-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function log(name: string, lines: number): string {
  const path = join(dir, `${name}.log`);
  writeFileSync(path, Array.from({ length: lines }, (_, i) => `${name} says ${i + 1}\n`).join(''));
  return path;
}

const services = [
  { name: 'inference', path: log('inference', 8) },
  { name: 'api', path: log('api', 3) },
];

async function print(opts: { tail?: number; prefix: boolean; color: boolean }): Promise<string> {
  let text = '';
  const result = await printLogs(services, { ...opts, out: (s) => (text += s) });
  expect(result).toEqual({ ok: true, value: undefined });
  return text;
}

describe('printLogs', () => {
  it('prints the last N lines of each service, in service order, with aligned prefixes', async () => {
    expect(await print({ tail: 5, prefix: true, color: false })).toBe(
      [
        'inference | inference says 4',
        'inference | inference says 5',
        'inference | inference says 6',
        'inference | inference says 7',
        'inference | inference says 8',
        'api       | api says 1',
        'api       | api says 2',
        'api       | api says 3',
        '',
      ].join('\n'),
    );
  });

  it('colours the prefixes, one colour per service, when asked', async () => {
    const text = await print({ tail: 1, prefix: true, color: true });
    expect(text).toBe(
      '\x1b[36minference |\x1b[39m inference says 8\n\x1b[33mapi       |\x1b[39m api says 3\n',
    );
  });

  it('prints raw lines without prefix', async () => {
    expect(await print({ tail: 2, prefix: false, color: true })).toBe(
      'inference says 7\ninference says 8\napi says 2\napi says 3\n',
    );
  });

  it('defaults to 100 lines and skips services without a log yet', async () => {
    const big = log('big', 150);
    let text = '';
    await printLogs(
      [
        { name: 'big', path: big },
        { name: 'later', path: join(dir, 'later.log') },
      ],
      { prefix: false, color: false, out: (s) => (text += s) },
    );
    expect(text.split('\n').slice(0, -1)).toHaveLength(100);
    expect(text.startsWith('big says 51\n')).toBe(true);
  });

  it('prints what it can and fails with io naming the unreadable log', async () => {
    let text = '';
    const result = await printLogs(
      [
        { name: 'dir', path: dir },
        { name: 'api', path: services[1]!.path },
      ],
      { tail: 1, prefix: false, color: false, out: (s) => (text += s) },
    );
    expect(text).toBe('api says 3\n');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe('io');
      expect(result.error).toMatchObject({ message: expect.stringContaining(`${dir}: EISDIR`) });
    }
  });
});

describe('createPrefixer', () => {
  it('keeps a colour per service index and cycles through the palette', () => {
    const names = Array.from({ length: 11 }, (_, i) => `s${i}`);
    const format = createPrefixer(names, { prefix: true, color: true });
    expect(format('s0', 'x')).toContain('\x1b[36m');
    expect(format('s1', 'x')).toContain('\x1b[33m');
    expect(format('s10', 'x').startsWith('\x1b[36ms10 |')).toBe(true); // 10 colours, then round again
  });
});

describe('shouldColor', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('colours a terminal, not a pipe or a dumb terminal', () => {
    expect(shouldColor(tty, {})).toBe(true);
    expect(shouldColor(pipe, {})).toBe(false);
    expect(shouldColor(tty, { TERM: 'dumb' })).toBe(false);
  });
  it('honours NO_COLOR with any non-empty value', () => {
    expect(shouldColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor(tty, { NO_COLOR: 'false' })).toBe(false);
    expect(shouldColor(tty, { NO_COLOR: '' })).toBe(true);
  });
  it('honours FORCE_COLOR, over NO_COLOR and a pipe', () => {
    expect(shouldColor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldColor(pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(shouldColor(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(shouldColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldColor(tty, { FORCE_COLOR: 'false' })).toBe(false);
  });
});
