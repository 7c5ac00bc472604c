/**
 * What a command needs from the outside world, passed in rather than read from globals,
 * so commands can be driven by tests and their output captured.
 */
export interface Context {
  cwd: string;
  env: Record<string, string | undefined>;
  /** -f/--file or UIPROCS_FILE. */
  file: string | undefined;
  /** The files of a second, third … `-f`, merged over `file` in order (manifest/override.ts). */
  overrides?: string[];
  /** Colour on stderr: TTY, unless NO_COLOR or --no-color; FORCE_COLOR forces it. */
  color: boolean;
  /** The same decision for stdout, where data (ps, logs, config) goes. */
  colorOut: boolean;
  /** A person is watching a terminal: live progress (listr2) instead of plain lines. */
  interactive: boolean;
  /** Data (ps --json, config) goes to stdout… */
  out: (s: string) => void;
  /** …progress and errors to stderr. */
  err: (s: string) => void;
}
