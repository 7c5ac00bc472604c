import { describe, expect, it } from 'vitest';
import { createColors } from '../../src/core/ansi.js';

describe('createColors', () => {
  it('wraps text in the open and close codes when enabled, and leaves it alone when not', () => {
    const on = createColors(true);
    const off = createColors(false);
    expect(on.red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(on.cyanBright('x')).toBe('\x1b[96mx\x1b[39m');
    expect(off.red('x')).toBe('x');
    expect(off.bold(on.dim('x'))).toBe(on.dim('x'));
  });

  it('re-opens the outer style where a nested one of the same kind closes', () => {
    const c = createColors(true);
    // bold and dim share the close code 22: without re-opening, "c" would lose its dim.
    expect(c.dim(`a ${c.bold('b')} c`)).toBe('\x1b[2ma \x1b[1mb\x1b[22m\x1b[2m c\x1b[22m');
    // Colours share 39: the red after a nested green is red again.
    expect(c.red(`a ${c.green('b')} c`)).toBe('\x1b[31ma \x1b[32mb\x1b[31m c\x1b[39m');
  });
});
