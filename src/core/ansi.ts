/**
 * ANSI colours, on or off as the caller decided (`shouldColor`), never guessed here.
 *
 * This replaces picocolors, which decides a default at import time by reading
 * `process.stdout.isTTY`: that creates the stdout stream, loading `net` and `stream`, and
 * cost every command ~8 ms (node -e 0: 66 ms; requiring picocolors: 74 ms) although
 * uiprocs never used the default. The formatting is the same: a nested close code (a
 * `bold` inside a `bold`) re-opens the outer style rather than ending it early.
 */

export type Formatter = (input: string) => string;

const STYLES = {
  bold: ['\x1b[1m', '\x1b[22m', '\x1b[22m\x1b[1m'],
  dim: ['\x1b[2m', '\x1b[22m', '\x1b[22m\x1b[2m'],
  red: ['\x1b[31m', '\x1b[39m'],
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  blue: ['\x1b[34m', '\x1b[39m'],
  magenta: ['\x1b[35m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
  greenBright: ['\x1b[92m', '\x1b[39m'],
  yellowBright: ['\x1b[93m', '\x1b[39m'],
  blueBright: ['\x1b[94m', '\x1b[39m'],
  magentaBright: ['\x1b[95m', '\x1b[39m'],
  cyanBright: ['\x1b[96m', '\x1b[39m'],
} as const satisfies Record<string, readonly [string, string, string?]>;

export type ColorName = keyof typeof STYLES;
export type Colors = Record<ColorName, Formatter>;

function formatter(open: string, close: string, replace: string = open): Formatter {
  return (input) => {
    const text = String(input);
    let index = text.indexOf(close, open.length);
    if (index < 0) return open + text + close;
    let out = '';
    let cursor = 0;
    do {
      out += text.substring(cursor, index) + replace;
      cursor = index + close.length;
      index = text.indexOf(close, cursor);
    } while (index >= 0);
    return open + out + text.substring(cursor) + close;
  };
}

const plain: Formatter = (input) => String(input);

export function createColors(enabled: boolean): Colors {
  const colors = {} as Colors;
  for (const [name, [open, close, replace]] of Object.entries(STYLES) as [
    ColorName,
    readonly [string, string, string?],
  ][]) {
    colors[name] = enabled ? formatter(open, close, replace) : plain;
  }
  return colors;
}
