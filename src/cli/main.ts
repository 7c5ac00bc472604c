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
import { Argument, Command, CommanderError, Option } from 'commander';
import type { Failure, Result } from '../core/model.js';
import { exitCodeFor } from '../core/model.js';
import { shouldColor } from '../logs/colors.js';
import type { Context } from './context.js';
import { exitCleanlyOnSignals } from './signals.js';
import { version } from './version.js';

function makeContext(globals: GlobalOptions): Context {
  const env = process.env;
  const off = globals.color === false;
  return {
    cwd: process.cwd(),
    env,
    file: globals.file ?? env.UIPROCS_FILE,
    color: !off && shouldColor(process.stderr, env),
    colorOut: !off && shouldColor(process.stdout, env),
    interactive: process.stderr.isTTY === true && env.CI === undefined,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  };
}

type Runner = (ctx: Context) => Promise<Result<number>>;

async function printFailure(ctx: Context, failure: Failure): Promise<void> {
  const { formatFailure } = await import('../ui/failure.js');
  ctx.err(formatFailure(failure, { color: ctx.color, cwd: ctx.cwd }));
}

interface GlobalOptions {
  file?: string;
  color?: boolean;
}

/**
 * The global options are also accepted after the command (`uiprocs up -f x.yaml`), but
 * only as that command's own options: program options recognised anywhere would take
 * `logs -f` for `--file` and swallow the next word as a manifest path. So the program
 * parses positionally, and each command repeats the globals — `logs` without the `-f`
 * short form, which there means --follow (as in `docker compose logs -f`).
 */
function addGlobalOptions(cmd: Command): void {
  const fileHelp = 'manifest to use (same as before the command)';
  if (cmd.options.some((o) => o.short === '-f')) cmd.option('--file <path>', fileHelp);
  else cmd.option('-f, --file <path>', fileHelp);
  cmd.option('--no-color', 'plain output without colour (also NO_COLOR=1)');
}

function buildProgram(run: (runner: Runner, local: GlobalOptions, foreground: boolean) => void): Command {
  const program = new Command('uiprocs')
    .description('Keep a set of local web UIs running from one manifest (ui-procs.yaml).')
    .version(version(), '-V, --version')
    .option(
      '-f, --file <path>',
      'manifest to use (default: ui-procs.yaml found from here upward; env UIPROCS_FILE)',
    )
    .option('--no-color', 'plain output without colour (also NO_COLOR=1)')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .exitOverride();

  type CommandModule = { default: (ctx: Context, targets: string[], opts: never) => Promise<Result<number>> };
  /** Commander calls actions with (targets?, options, command); the module is loaded only when chosen. */
  const lazy =
    (load: () => Promise<CommandModule>) =>
    (...args: unknown[]): void => {
      const cmd = args[args.length - 1] as Command;
      // Variadic [targets...] arrive as an array; a single <argument> (export's format) as a string.
      const targets = (
        Array.isArray(args[0]) ? args[0] : typeof args[0] === 'string' ? [args[0]] : []
      ) as string[];
      const { file, color, ...opts } = cmd.opts() as GlobalOptions & Record<string, unknown>;
      // watch and logs stay in the foreground and end on Ctrl-C by themselves.
      const foreground = cmd.name() === 'watch' || cmd.name() === 'logs' || opts.watch === true;
      run(async (ctx) => (await load()).default(ctx, targets, opts as never), { file, color }, foreground);
    };

  program
    .command('up')
    .description('start what is missing, recreate what changed, wait until ready')
    .argument('[targets...]', 'services or groups (default: all)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--remove-orphans', 'stop services that are no longer in the manifest')
    .option('--watch', 'stay and apply manifest edits; restart crashed services (same as watch)')
    .option('--down-on-exit', 'with --watch: stop the services when watch ends')
    .action(lazy(() => import('./commands/up.js')));
  program
    .command('down')
    .description('stop services gracefully (no targets: everything this project started)')
    .argument('[targets...]', 'services or groups (default: all, orphans included)')
    .option('-t, --timeout <duration>', 'override stop_timeout (e.g. 5s)')
    .action(lazy(() => import('./commands/down.js')));
  program
    .command('restart')
    .description('stop then start services')
    .argument('[targets...]', 'services or groups (default: all)')
    .action(lazy(() => import('./commands/restart.js')));
  program
    .command('ps')
    .description('show the services: status, pid, port, url, uptime')
    .argument('[targets...]', 'services or groups (default: all)')
    .option('--json', 'machine-readable output on stdout')
    .option('--check', 'exit 1 unless every target is running')
    .action(lazy(() => import('./commands/ps.js')));
  program
    .command('logs')
    .description('print service logs with name prefixes')
    .argument('[targets...]', 'services or groups (default: all)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .addOption(new Option('-n, --tail <lines>', 'lines per service').default('100'))
    .option('--no-prefix', 'print lines without the service name')
    .action(lazy(() => import('./commands/logs.js')));
  program
    .command('watch')
    .description('converge, then apply manifest edits and restart crashed services (up --watch)')
    .argument('[targets...]', 'services or groups (default: all)')
    .option('--down-on-exit', 'stop the services when watch ends')
    .option('--remove-orphans', 'stop services that are no longer in the manifest')
    .action(lazy(() => import('./commands/watch.js')));
  program
    .command('config')
    .description('print the resolved manifest (defaults applied, variables interpolated)')
    .option('--json', 'JSON, keys sorted, for diffing')
    .action(lazy(() => import('./commands/config.js')));
  program
    .command('validate')
    .description('check the manifest; exit 2 with located errors when it is wrong')
    .action(lazy(() => import('./commands/validate.js')));
  program
    .command('export')
    .description('write the manifest as systemd units, a compose file or a Makefile fragment')
    .addArgument(new Argument('<format>', 'what to write').choices(['systemd', 'compose', 'make']))
    .option('--user', 'systemd: user units (WantedBy=default.target instead of multi-user.target)')
    .option(
      '-o, --output <path>',
      'systemd: a folder (default ./systemd); compose, make: a file (default stdout)',
    )
    .option('--check', 'write nothing; exit 1 and name the files when the previous export is out of date')
    .action(lazy(() => import('./commands/export.js')));
  for (const cmd of program.commands) addGlobalOptions(cmd);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let runner: Runner | undefined;
  let local: GlobalOptions = {};
  let foreground = false;
  const program = buildProgram((r, options, stays) => {
    runner = r;
    local = options;
    foreground = stays;
  });
  try {
    program.configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes with 2, as the contract says.
      return error.exitCode === 0 ? 0 : 2;
    }
    throw error;
  }
  if (runner === undefined) {
    program.outputHelp({ error: true });
    return 2;
  }
  if (!foreground) exitCleanlyOnSignals();
  const globals = program.opts<GlobalOptions>();
  const ctx = makeContext({
    file: local.file ?? globals.file,
    color: local.color === false || globals.color === false ? false : undefined,
  });
  const result = await runner(ctx);
  if (result.ok) return result.value;
  await printFailure(ctx, result.error);
  return exitCodeFor(result.error);
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
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
