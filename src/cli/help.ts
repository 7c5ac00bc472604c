/**
 * `--help` text, written from the command table so it always lists what the parser
 * accepts. Loaded only when help is asked for.
 */
import {
  type ArgumentSpec,
  COMMANDS,
  type CommandSpec,
  commonOptions,
  type OptionSpec,
  optionLabel,
  PROGRAM,
} from './command-table.js';

/** Two columns: a term, then its description wrapped to the width beside it. */
function columns(rows: ReadonlyArray<readonly [string, string]>, width: number): string {
  const left = Math.max(...rows.map(([term]) => term.length)) + 2;
  const room = Math.max(30, width - left - 2);
  return rows
    .map(([term, text]) => {
      const lines = wrap(text, room);
      return lines.map((line, i) => `  ${(i === 0 ? term : '').padEnd(left)}${line}`.trimEnd()).join('\n');
    })
    .join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

/** The label, with long-only options indented to line up under `-x, `. */
function optionTerm(o: OptionSpec): string {
  return o.short ? optionLabel(o) : `    ${optionLabel(o)}`;
}

function optionRows(options: readonly OptionSpec[]): Array<[string, string]> {
  return options.map((o) => [optionTerm(o), o.description]);
}

function argumentUsage(arg: ArgumentSpec): string {
  if (arg.kind === 'targets') return ' [targets...]';
  if (arg.kind === 'one-of') return ` <${arg.name}>`;
  return '';
}

export function programHelp(width = 80): string {
  const commands: Array<[string, string]> = COMMANDS.filter((c) => !c.hidden).map((c) => [
    `${c.name}${argumentUsage(c.argument)}`,
    c.description,
  ]);
  commands.push(['help [command]', 'print help for a command']);
  return [
    `Usage: ${PROGRAM.name} [options] <command> [targets...]`,
    '',
    ...wrap(PROGRAM.description, width),
    '',
    'Options:',
    columns(optionRows(PROGRAM.options), width),
    '',
    'Commands:',
    columns(commands, width),
    '',
    `Run '${PROGRAM.name} help <command>' for a command's options.`,
    '',
  ].join('\n');
}

export function commandHelp(command: CommandSpec, width = 80): string {
  const arg = command.argument;
  const argumentSection =
    arg.kind === 'none'
      ? []
      : [
          'Arguments:',
          columns(
            [
              arg.kind === 'targets'
                ? ['targets', arg.description]
                : [arg.name, `${arg.description}: ${arg.choices.join(', ')}`],
            ],
            width,
          ),
          '',
        ];
  return [
    `Usage: ${PROGRAM.name} ${command.name} [options]${argumentUsage(arg)}`,
    '',
    ...wrap(command.description, width),
    '',
    ...argumentSection,
    'Options:',
    columns(optionRows([...command.options, ...commonOptions(command)]), width),
    '',
  ].join('\n');
}
