/** Each line's time from a log's index (logs/line-times.ts): exact, after a gap, after the last stamp. */
import { describe, expect, it } from 'vitest';
import { lineTimes } from '../../src/logs/line-times.js';
import type { TimeEntry } from '../../src/state/log-times.js';

const entries: TimeEntry[] = [
  { kind: 'start', offset: 10, at: 100 },
  { kind: 'write', offset: 20, at: 200, stream: 'stdout' },
  { kind: 'write', offset: 30, at: 300, stream: 'stderr' },
  { kind: 'start', offset: 50, at: 900 },
];

describe('lineTimes', () => {
  it('times a line by the first entry at or past its end', () => {
    expect(lineTimes(entries, [5, 10, 20, 25, 30], 0)).toEqual([
      { at: 100, approx: true, stream: 'unknown' },
      { at: 100, approx: true, stream: 'unknown' },
      { at: 200, approx: false, stream: 'stdout' },
      { at: 300, approx: false, stream: 'stderr' },
      { at: 300, approx: false, stream: 'stderr' },
    ]);
  });

  it('gives lines written while nothing stamped the next stamper’s start, bounded below by the entry before', () => {
    expect(lineTimes(entries, [40, 50], 0)).toEqual([
      { at: 900, approx: true, after: 300, stream: 'unknown' },
      { at: 900, approx: true, after: 300, stream: 'unknown' },
    ]);
  });

  it('gives lines after the last stamp the file’s mtime, never earlier than that stamp', () => {
    expect(lineTimes(entries, [60], 5000)).toEqual([
      { at: 5000, approx: true, after: 900, stream: 'unknown' },
    ]);
    expect(lineTimes(entries, [60], 850)).toEqual([{ at: 900, approx: true, after: 900, stream: 'unknown' }]);
  });
});
