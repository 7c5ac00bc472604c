import { type ColorName, createColors, type Formatter } from '../core/ansi.js';

/**
 * Name prefixes in front of log lines, the way `docker compose logs` shows them:
 *
 * ```
 * api       | listening on 8000
 * inference | You can now view your Streamlit app
 * ```
 *
 * Names are padded to the widest so the lines align, and each service keeps one colour for
 * the whole output so interleaved lines of `logs -f` are easy to tell apart. Lines are
 * printed as the service wrote them: no timestamps are added (the service's own are the
 * only true ones) and no escape codes are removed.
 */

/** Colours in the order services get them; red is left out, it reads as an error. */
const PALETTE: readonly ColorName[] = [
  'cyan',
  'yellow',
  'green',
  'magenta',
  'blue',
  'cyanBright',
  'yellowBright',
  'greenBright',
  'magentaBright',
  'blueBright',
];

/** Always-on formatters: whether to colour is decided by the caller. */
const ansi = createColors(true);

export interface PrefixOptions {
  /** `false` (`--no-prefix`): lines are printed exactly as read. */
  prefix: boolean;
  /** Decided by the CLI (`shouldColor`). */
  color: boolean;
}

/** Turns one line of one service into the text to print (without the newline). */
export type LineFormatter = (name: string, line: string) => string;

/**
 * A formatter for the given services. A service's colour is chosen by its index in `names`,
 * so pass names in a stable order (manifest order) to keep colours stable between runs.
 * A name not in `names` (a caller's mistake, tolerated) gets the next colour after them.
 */
export function createPrefixer(names: readonly string[], opts: PrefixOptions): LineFormatter {
  if (!opts.prefix) return (_name, line) => line;
  const width = names.reduce((w, name) => Math.max(w, name.length), 0);
  const prefixes = new Map<string, string>();
  const prefixOf = (name: string, index: number): string => {
    const plain = `${name.padEnd(width)} |`;
    return opts.color ? colorAt(index)(plain) : plain;
  };
  names.forEach((name, index) => {
    if (!prefixes.has(name)) prefixes.set(name, prefixOf(name, index));
  });
  return (name, line) => {
    let prefix = prefixes.get(name);
    if (prefix === undefined) {
      prefix = prefixOf(name, names.length);
      prefixes.set(name, prefix);
    }
    return `${prefix} ${line}`;
  };
}

function colorAt(index: number): Formatter {
  return ansi[PALETTE[index % PALETTE.length]!];
}
