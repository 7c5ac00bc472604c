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
 * Commands that stay in the foreground (watch, logs -f) end gracefully on their own
 * listeners, so main.ts does not install this for them. The decision is by command, not by
 * "is there another listener": libraries add their own (signal-exit, via listr2's cursor
 * handling, listens and then defers to other listeners), and two deferring listeners
 * would leave Ctrl-C doing nothing at all.
 *
 * One exception: while `up`/`restart` start services (`claimInterrupt`), the first Ctrl-C
 * does not end the process but aborts the returned signal: the converge stops waiting for
 * readiness, starts nothing more, keeps the supervisor's duties for what it did start, and
 * says what it left running (issue #20, item 14: exiting at once left services without the
 * supervisor their restart policy needs). A second Ctrl-C ends the process at once.
 */
import { writeSync } from 'node:fs';

const CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type InterruptSignal = keyof typeof CODES;

let claimed: AbortController | undefined;

/**
 * The first SIGINT/SIGTERM from now on aborts the returned signal (its `reason` is the
 * signal's name) instead of ending the process; `release()` gives the default back.
 */
export function claimInterrupt(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  claimed = controller;
  return {
    signal: controller.signal,
    release: () => {
      if (claimed === controller) claimed = undefined;
    },
  };
}

export function exitCleanlyOnSignals(stderr: { isTTY?: boolean; fd: number }): void {
  for (const signal of Object.keys(CODES) as Array<keyof typeof CODES>) {
    const onSignal = (): void => {
      if (claimed !== undefined && !claimed.signal.aborted) {
        claimed.abort(signal);
        return;
      }
      // To the file descriptor, not the stream: while listr2 draws, it hijacks
      // process.stderr.write into a buffer that an exit now would never flush.
      if (stderr.isTTY) writeQuiet(stderr.fd, '\u001b[?25h');
      process.exit(CODES[signal]);
    };
    process.on(signal, onSignal);
  }
}

function writeQuiet(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    // a closed terminal: nothing to restore
  }
}
