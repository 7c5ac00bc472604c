/**
 * Ctrl-C and SIGTERM for the commands that do not handle them themselves (up, down,
 * restart, ps…).
 *
 * Node's default for SIGINT/SIGTERM ends the process without running 'exit' handlers, and
 * 'exit' is where the state lock and other synchronous cleanups let go: the next command
 * would find a lock from a dead holder and have to break it. So these signals end the
 * process through `process.exit(128 + n)` (the shell's convention for "ended by signal
 * n"), which runs those handlers — and shows the cursor again if listr2 hid it.
 *
 * Commands that stay in the foreground (watch, logs -f) install their own listeners to end
 * gracefully; when another listener exists, this one leaves the signal to it.
 */
const CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export function exitCleanlyOnSignals(stderr: NodeJS.WriteStream = process.stderr): void {
  for (const signal of Object.keys(CODES) as Array<keyof typeof CODES>) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      if (stderr.isTTY) stderr.write('\u001b[?25h');
      process.exit(CODES[signal]);
    };
    process.on(signal, onSignal);
  }
}
