/**
 * TAB completion as data: the words typed after `uiprocs` (the last one the word being
 * completed, maybe empty) → the candidates, read from the command table
 * (command-table.ts), so a new command or option completes without touching the shell
 * scripts. Pure: the manifest's names come in as a function, asked only when a command
 * takes targets (`down <TAB>`, `logs -f <TAB>`).
 *
 * The shells' scripts (completion-scripts.ts) call `uiprocs __complete -- WORDS…` and
 * offer what it prints, one candidate per line; nothing printed after an option that takes
 * a value (`-f <TAB>`, `--since <TAB>`) lets the shell complete file names instead.
 */
import { COMMANDS, type CommandSpec, commonOptions, type OptionSpec, PROGRAM } from './command-table.js';

export interface CompletionInput {
  /** The words after `uiprocs`; the last is the one being completed. */
  words: readonly string[];
  /** Services and groups of the manifest that `file` (or the search from the cwd) names; [] when there is none. */
  names: (file: string | undefined) => Promise<string[]>;
  /** The registered projects (state/registry.ts), for `--project <TAB>` and the targets after it. */
  projects?: () => Promise<Array<{ name: string; manifest: string }>>;
}

function takesValue(specs: readonly OptionSpec[], word: string): boolean {
  if (word.includes('=')) return false;
  const spec = word.startsWith('--')
    ? specs.find((s) => `--${s.long}` === word)
    : specs.find((s) => s.short !== undefined && `-${s.short}` === word);
  return spec?.value !== undefined;
}

const longs = (specs: readonly OptionSpec[]) => specs.map((s) => `--${s.long}`);

export async function complete({ words, names, projects }: CompletionInput): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const visible = COMMANDS.filter((c) => !c.hidden);
  let command: CommandSpec | 'help' | undefined;
  let file: string | undefined;
  let project: string | undefined;
  const positionals: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const word = before[i]!;
    const specs = command === undefined ? PROGRAM.options : command === 'help' ? [] : optionsOf(command);
    if (word.startsWith('-') && word !== '-') {
      if (takesValue(specs, word)) {
        // The first -f is the manifest; later ones are merged over it and name no services of their own.
        if (word === '--file' || (word === '-f' && !isFollow(command))) file ??= before[i + 1];
        if (word === '--project') project ??= before[i + 1];
        i += 1;
      } else if (word.startsWith('--file=')) file ??= word.slice('--file='.length);
      continue;
    }
    if (command === undefined) command = word === 'help' ? 'help' : visible.find((c) => c.name === word);
    else positionals.push(word);
    if (command === undefined) return [];
  }
  const last = before.at(-1);
  const specs = command === undefined ? PROGRAM.options : command === 'help' ? [] : optionsOf(command);
  if (last === '--project')
    return ((await projects?.()) ?? []).map((p) => p.name).filter((n) => n.startsWith(current));
  // After an option that takes a value: nothing, and the shell offers file names.
  if (last?.startsWith('-') && takesValue(specs, last)) return [];
  const candidates = await (async (): Promise<string[]> => {
    if (current.startsWith('-')) return longs(specs);
    if (command === undefined) return [...visible.map((c) => c.name), 'help'];
    if (command === 'help') return positionals.length === 0 ? visible.map((c) => c.name) : [];
    const arg = command.argument;
    switch (arg.kind) {
      case 'none':
        return [];
      case 'one-of':
        return positionals.length === 0 ? [...arg.choices] : [];
      case 'targets': {
        const typed = new Set(positionals);
        if (project !== undefined && file === undefined)
          file = ((await projects?.()) ?? []).find((p) => p.name === project)?.manifest;
        return (await names(file)).filter((n) => !typed.has(n));
      }
    }
  })();
  return candidates.filter((c) => c.startsWith(current));
}

function optionsOf(command: CommandSpec): OptionSpec[] {
  return [...command.options, ...commonOptions(command)];
}

/** After `logs`, `-f` is --follow, not the manifest (command-table.ts commonOptions). */
function isFollow(command: CommandSpec | 'help' | undefined): boolean {
  return typeof command === 'object' && command.options.some((o) => o.short === 'f');
}
