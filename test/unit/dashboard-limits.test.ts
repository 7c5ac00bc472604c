import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { connectionCap, MAX_CONNECTIONS, openFilesLimit, RESERVED_FDS } from '../../src/dashboard/limits.js';

it('the connection cap leaves RESERVED_FDS descriptors for restarts, and never drops below 4', () => {
  expect(connectionCap(1024, 30)).toBe(MAX_CONNECTIONS);
  expect(connectionCap(RESERVED_FDS + 40 + 10, 40)).toBe(10);
  expect(connectionCap(256, 100)).toBe(4);
  expect(connectionCap(undefined, 10)).toBe(MAX_CONNECTIONS);
});

it('reads the soft open-files limit from /proc/<pid>/limits', () => {
  expect(openFilesLimit()).toBeGreaterThan(0);
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-limits-'));
  try {
    const file = join(dir, 'limits');
    writeFileSync(
      file,
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n',
    );
    expect(openFilesLimit(file)).toBe(1024);
    writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
    expect(openFilesLimit(file)).toBeUndefined();
    expect(openFilesLimit(join(dir, 'missing'))).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
