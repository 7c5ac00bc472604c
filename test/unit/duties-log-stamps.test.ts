/**
 * Which stream wrote which bytes (duties/log-stamps.ts `attribute`), from where each
 * stream's last write ended: the two file positions of a log opened once per stream.
 */
import { describe, expect, it } from 'vitest';
import { attribute } from '../../src/duties/log-stamps.js';

const at = 1000;

describe('attribute', () => {
  it('gives the whole range to the one stream that wrote since the last look', () => {
    expect(attribute({ size: 10, out: 10, err: 4 }, 30, 30, 4, at)).toEqual([
      { kind: 'write', offset: 30, at, stream: 'stdout' },
    ]);
    expect(attribute({ size: 10, out: 10, err: 4 }, 18, 10, 18, at)).toEqual([
      { kind: 'write', offset: 18, at, stream: 'stderr' },
    ]);
  });

  it('splits a mixed burst at the end of the earlier stream’s last write: after it, only the other wrote', () => {
    expect(attribute({ size: 0, out: 0, err: 0 }, 50, 20, 50, at)).toEqual([
      { kind: 'write', offset: 20, at, stream: 'stdout' },
      { kind: 'write', offset: 50, at, stream: 'stderr' },
    ]);
  });

  it('calls unknown what no position explains: one shared descriptor, or a writer of its own', () => {
    expect(attribute({ size: 0, out: 0, err: 0 }, 40, 40, 40, at)).toEqual([
      { kind: 'write', offset: 40, at, stream: 'unknown' },
    ]);
    expect(attribute({ size: 0, out: 0, err: 0 }, 40, 25, undefined, at)).toEqual([
      { kind: 'write', offset: 25, at, stream: 'stdout' },
      { kind: 'write', offset: 40, at, stream: 'unknown' },
    ]);
  });
});
