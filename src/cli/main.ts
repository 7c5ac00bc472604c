/**
 * The CLI's entry point and its one error boundary.
 *
 * Every command returns a `Result<number>`: an exit code on success (ps --check may
 * answer 1), a Failure otherwise. Only here are failures printed and mapped to exit
 * codes (0 ok, 1 a service failed, 2 bad usage or manifest); an exception that escapes
 * a command is a bug and is reported as one, with its stack.
 *
 * Command modules are imported lazily, so `ps` never pays for what `watch` needs.
 */

import type { Context } from '../core/context.js';
import type { Failure } from '../core/model.js';
import { exitCodeFor } from '../core/model.js';
import { version } from '../core/version.js';
import { shouldColor } from '../logs/colors.js';
import type { CommandSpec } from './command-table.js';
import { parseArgv } from './parse-argv.js';
import { exitCleanlyOnSignals } from './signals.js';
import { isTerminal, writeFd } from './stdio.js';

function makeContext(
  file: string | undefined,
  overrides: string[],
  colorAllowed: boolean,
  stderrTTY: boolean,
): Context {
  const env = process.env;
  const interactive = stderrTTY && env.CI === undefined;
  return {
    cwd: process.cwd(),
    env,
    file: file ?? env.UIPROCS_FILE,
    ...(overrides.length > 0 ? { overrides } : {}),
    color: colorAllowed && shouldColor({ isTTY: stderrTTY }, env),
    colorOut: colorAllowed && shouldColor({ isTTY: isTerminal(1) }, env),
    interactive,
    // A person at a terminal gets listr2, which draws through process.stderr and holds
    // back other writes to it while it draws: share its streams. Otherwise descriptors.
    out: interactive ? (s) => process.stdout.write(s) : (s) => writeFd(1, s),
    err: interactive ? (s) => process.stderr.write(s) : (s) => writeFd(2, s),
  };
}

async function printFailure(ctx: Context, failure: Failure): Promise<void> {
  const { formatFailure } = await import('../ui/failure.js');
  ctx.err(formatFailure(failure, { color: ctx.color, cwd: ctx.cwd }));
}

/** Help goes to stdout when asked for (exit 0), to stderr after a usage mistake (exit 2). */
async function helpText(command: CommandSpec | undefined): Promise<string> {
  const help = await import('./help.js');
  const width = process.stdout.columns ?? 80;
  return command === undefined ? help.programHelp(width) : help.commandHelp(command, width);
}

export async function main(argv: string[]): Promise<number> {
  // A TAB (completion-scripts.ts): the words are what is being typed, not options to parse.
  if (argv[2] === '__complete')
    return (await import('./complete-words.js')).completeWords(argv.slice(argv[3] === '--' ? 4 : 3));
  const parsed = parseArgv(argv.slice(2));
  switch (parsed.kind) {
    case 'version':
      writeFd(1, `${version()}\n`);
      return 0;
    case 'help':
      writeFd(1, await helpText(parsed.command));
      return 0;
    case 'usage': {
      const see = parsed.command === undefined ? 'uiprocs --help' : `uiprocs ${parsed.command.name} --help`;
      const tail = parsed.showHelp ? `\n\n${await helpText(parsed.command)}` : `\nsee '${see}'\n`;
      writeFd(2, `error: ${parsed.message}${tail}`);
      return 2;
    }
    case 'run':
      break;
  }
  const { command, options } = parsed;
  // watch, logs and up --watch stay in the foreground and end on Ctrl-C by themselves.
  const stderrTTY = isTerminal(2);
  if (!command.foreground?.(options)) exitCleanlyOnSignals({ isTTY: stderrTTY, fd: 2 });
  const ctx = makeContext(parsed.file, parsed.overrides, parsed.color, stderrTTY);
  if (parsed.directory !== undefined || parsed.project !== undefined) {
    const { placeProject } = await import('./project-option.js');
    const placed = placeProject(
      { cwd: ctx.cwd, file: ctx.file, overrides: ctx.overrides ?? [] },
      parsed,
      ctx.env,
    );
    if (!placed.ok) {
      await printFailure(ctx, placed.error);
      return exitCodeFor(placed.error);
    }
    ctx.cwd = placed.value.cwd;
    ctx.file = placed.value.file;
    if (placed.value.overrides.length > 0) ctx.overrides = placed.value.overrides;
  }
  const module = await command.load();
  const result = await module.default(ctx, parsed.targets, options as never);
  if (result.ok) return result.value;
  await printFailure(ctx, result.error);
  // Interrupted, the readiness probes left behind would keep the process up: end it now.
  if (result.error.reason === 'interrupted') process.exit(exitCodeFor(result.error));
  return exitCodeFor(result.error);
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    writeFd(
      2,
      outOfFiles(error) ??
        `uiprocs: internal error (a bug; please report it):\n${(error as Error)?.stack ?? String(error)}\n`,
    );
    process.exitCode = 1;
  },
);

/**
 * Running out of file descriptors (a low `ulimit -n`) is the machine's state, not a bug:
 * lazily imported modules and spawns fail with EMFILE wherever it strikes, so it is named
 * here, once, with the path and the fix, instead of a stack trace.
 */
function outOfFiles(error: unknown): string | undefined {
  const e = error as { code?: unknown; path?: unknown } | null;
  if (e?.code !== 'EMFILE' && e?.code !== 'ENFILE') return undefined;
  const where = typeof e.path === 'string' ? ` while opening ${e.path}` : '';
  return `uiprocs: too many open files (${e.code})${where}; raise the limit (ulimit -n) and try again\n`;
}
