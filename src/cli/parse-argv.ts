/**
 * argv → what to do, as a value: run a command, print help or the version, or a usage
 * error. Pure (no printing, no exit), so every case is a unit test.
 *
 * The grammar is `uiprocs [program options] COMMAND [command options and arguments]`:
 * program options only before the command, the command's own anywhere after it. Options
 * are not recognised across that line on purpose, or `logs -f` would be taken for
 * `--file` and swallow the next word as a manifest path.
 *
 * `util.parseArgs` tokenises in its non-strict mode; the checks are ours, so each message
 * can name the option as the user typed it and suggest a near miss.
 */
import { parseArgs } from 'node:util';
import { closest } from '../manifest/suggest.js';
import {
  COMMANDS,
  type CommandSpec,
  commonOptions,
  type OptionSpec,
  optionKey,
  optionLabel,
  type ParsedOptions,
  PROGRAM,
  takesProject,
} from './command-table.js';

export type Parsed =
  | {
      kind: 'run';
      command: CommandSpec;
      targets: string[];
      /** The command's own options, by key (`dryRun`), defaults applied. */
      options: ParsedOptions;
      /** --file, after the command or else before it. */
      file: string | undefined;
      /** A second, third … --file in the same place: merged over the first, in order. */
      overrides: string[];
      /** -C/--directory: the folder to act from (after the command, or else before it). */
      directory?: string;
      /** --project NAME: a project of the registry instead of the one found from here. */
      project?: string;
      /** false when --no-color was given anywhere. */
      color: boolean;
    }
  | { kind: 'help'; command: CommandSpec | undefined }
  | { kind: 'version' }
  /** A usage mistake: exit 2. `command` says which help to point at. */
  | { kind: 'usage'; message: string; command: CommandSpec | undefined; showHelp?: boolean };

type Tokens = NonNullable<ReturnType<typeof parseArgs>['tokens']>;
type Token = Tokens[number];

function tokenize(args: string[], specs: readonly OptionSpec[]): Tokens {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const s of specs)
    options[s.long] = {
      type: s.value === undefined ? 'boolean' : 'string',
      ...(s.short ? { short: s.short } : {}),
    };
  return parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true }).tokens ?? [];
}

/**
 * Read the options among `tokens` against `specs`. Returns the values by long name, the
 * positionals, or the first mistake.
 */
function readOptions(
  tokens: Tokens,
  specs: readonly OptionSpec[],
):
  | { ok: true; values: Map<string, string | boolean>; files: string[]; positionals: string[] }
  | { ok: false; message: string } {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const values = new Map<string, string | boolean>();
  const files: string[] = [];
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = byLong.get(token.name);
    if (spec === undefined) return { ok: false, message: unknownOption(token, specs) };
    if (spec.value === undefined) {
      if (token.value !== undefined)
        return { ok: false, message: `option '${optionLabel(spec)}' takes no value` };
      values.set(spec.long, true);
      continue;
    }
    // parseArgs hands a string option the next word whatever it is; `-t --json` means a
    // forgotten value, not a timeout called "--json".
    const missing = token.value === undefined || (!token.inlineValue && /^-./.test(token.value));
    if (missing) return { ok: false, message: `option '${optionLabel(spec)}' needs a value` };
    if (spec.long === 'file') files.push(token.value as string);
    values.set(spec.long, token.value as string);
  }
  return { ok: true, values, files, positionals };
}

function unknownOption(token: Extract<Token, { kind: 'option' }>, specs: readonly OptionSpec[]): string {
  const typed = token.rawName;
  const longs = specs.map((s) => `--${s.long}`);
  const near = typed.startsWith('--') ? closest(typed, longs) : undefined;
  return `unknown option '${typed}'${near ? ` (did you mean ${near}?)` : ''}`;
}

export function parseArgv(args: readonly string[]): Parsed {
  const argv = [...args];
  const programTokens = tokenize(argv, PROGRAM.options);
  const first = programTokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
  const commandAt = first?.kind === 'positional' ? first.index : undefined;
  const before = programTokens.filter((t) => commandAt === undefined || t.index < commandAt);
  const globals = readOptions(before, PROGRAM.options);
  if (!globals.ok) return { kind: 'usage', message: globals.message, command: undefined };
  if (globals.values.get('help') === true) return { kind: 'help', command: undefined };
  if (globals.values.get('version') === true) return { kind: 'version' };
  if (commandAt === undefined) {
    return { kind: 'usage', message: 'no command given', command: undefined, showHelp: true };
  }

  const name = argv[commandAt]!;
  const rest = argv.slice(commandAt + 1);
  if (name === 'help') return helpFor(rest);
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    const near = closest(
      name,
      COMMANDS.filter((c) => !c.hidden).map((c) => c.name),
    );
    return {
      kind: 'usage',
      message: `unknown command '${name}'${near ? ` (did you mean ${near}?)` : ''}`,
      command: undefined,
    };
  }

  const specs = [...command.options, ...commonOptions(command)];
  const own = readOptions(tokenize(rest, specs), specs);
  if (!own.ok) return { kind: 'usage', message: own.message, command };
  if (own.values.get('help') === true) return { kind: 'help', command };

  const positionals = checkArgument(command, own.positionals);
  if (typeof positionals === 'string') return { kind: 'usage', message: positionals, command };

  const options: ParsedOptions = {};
  for (const spec of command.options) {
    const given = own.values.get(spec.long);
    options[optionKey(spec.long)] = spec.long.startsWith('no-') ? given !== true : given;
  }
  // `-f a.yaml -f b.yaml`: the manifest, then files merged over it, as compose reads them.
  // The files after the command replace those before it (the later place wins, as for one).
  const files = own.files.length > 0 ? own.files : globals.files;
  const noColor = own.values.get('no-color') === true || globals.values.get('no-color') === true;
  const placed = (long: string) => {
    const v = own.values.get(long) ?? globals.values.get(long);
    return typeof v === 'string' ? v : undefined;
  };
  const directory = placed('directory');
  const project = placed('project');
  if (!takesProject(command) && (directory !== undefined || project !== undefined))
    return {
      kind: 'usage',
      message: `${command.name} is about no one project: -C and --project mean nothing to it`,
      command,
    };
  if (project !== undefined && files.length > 0)
    return { kind: 'usage', message: '--project and --file both name the manifest: give one', command };
  return {
    kind: 'run',
    command,
    targets: positionals,
    options,
    file: files[0],
    overrides: files.slice(1),
    ...(directory !== undefined ? { directory } : {}),
    ...(project !== undefined ? { project } : {}),
    color: !noColor,
  };
}

function helpFor(rest: string[]): Parsed {
  const topic = rest.find((a) => !a.startsWith('-'));
  if (topic === undefined) return { kind: 'help', command: undefined };
  const command = COMMANDS.find((c) => c.name === topic && !c.hidden);
  if (command !== undefined) return { kind: 'help', command };
  return { kind: 'usage', message: `no help for '${topic}': there is no such command`, command: undefined };
}

/** The positionals a command takes, or what is wrong with them. */
function checkArgument(command: CommandSpec, positionals: string[]): string[] | string {
  const arg = command.argument;
  switch (arg.kind) {
    case 'targets':
      return positionals;
    case 'none':
      return positionals.length === 0
        ? positionals
        : `'${command.name}' takes no arguments (got ${positionals.map((p) => `'${p}'`).join(', ')})`;
    case 'one-of': {
      const choices = arg.choices.join(', ');
      if (positionals.length === 0) return `'${command.name}' needs a ${arg.name}: one of ${choices}`;
      if (positionals.length > 1)
        return `'${command.name}' takes one ${arg.name} (got ${positionals.map((p) => `'${p}'`).join(', ')})`;
      const value = positionals[0]!;
      if (!arg.choices.includes(value)) {
        const near = closest(value, arg.choices);
        return `unknown ${arg.name} '${value}': expected one of ${choices}${near ? ` (did you mean ${near}?)` : ''}`;
      }
      return positionals;
    }
  }
}
