/**
 * The command line as data: every command, its arguments and options, in one table that
 * the parser (parse-argv.ts) and the help (help.ts) both read, so the two cannot disagree.
 *
 * It replaced commander: building commander's program cost about 20 ms on every run, a
 * fifth of what `ps` may spend in all, for a grammar this small (positional targets and a
 * handful of flags). Node's own `util.parseArgs` tokenises; the table says what is valid.
 */

import type { Context } from '../core/context.js';
import type { Result } from '../core/model.js';

export interface OptionSpec {
  /** The long name without dashes; `no-color` is a flag whose value lands in `color`. */
  long: string;
  /** One letter, without the dash. */
  short?: string;
  /** Set for an option that takes a value: its placeholder in help (`duration`). */
  value?: string;
  description: string;
}

/** What a command takes after its options. */
export type ArgumentSpec =
  | { kind: 'none' }
  | { kind: 'targets'; description: string }
  | { kind: 'one-of'; name: string; description: string; choices: readonly string[] };

export interface CommandModule {
  default: (ctx: Context, targets: string[], opts: never) => Promise<Result<number>>;
}

export interface CommandSpec {
  name: string;
  description: string;
  argument: ArgumentSpec;
  options: readonly OptionSpec[];
  /** Stays in the foreground and ends on Ctrl-C by itself (no exit-on-signal handler). */
  foreground?: (options: ParsedOptions) => boolean;
  /** Not in the help nor in suggestions: run by uiprocs itself (the supervisor). */
  hidden?: true;
  /** Loaded only when chosen: `ps` never pays for what `watch` needs. */
  load: () => Promise<CommandModule>;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

const TARGETS: ArgumentSpec = { kind: 'targets', description: 'services or groups (default: all)' };

/** Another project than the one found from here: by its folder (as git/make -C), or by name from `uiprocs ls`. */
const PROJECT_OPTIONS: OptionSpec[] = [
  { long: 'directory', short: 'C', value: 'dir', description: 'act as if started in this folder' },
  {
    long: 'project',
    value: 'name',
    description: 'the project of this name (or folder) that `uiprocs ls` lists, from any folder',
  },
];

/** Commands about no one project: `-C` and `--project` mean nothing to them. */
const PROJECTLESS = new Set(['ls', 'completion']);

/** Whether `-C`/`--project` mean something to this command. */
export function takesProject(command: CommandSpec): boolean {
  return !PROJECTLESS.has(command.name);
}

export const PROGRAM = {
  name: 'uiprocs',
  description: 'Keep a set of local web UIs running from one manifest (ui-procs.yaml).',
  options: [
    { long: 'version', short: 'V', description: 'print the version number' },
    {
      long: 'file',
      short: 'f',
      value: 'path',
      description: 'manifest to use (default: ui-procs.yaml found from here upward; env UIPROCS_FILE)',
    },
    ...PROJECT_OPTIONS,
    { long: 'no-color', description: 'plain output without colour (also NO_COLOR=1)' },
    { long: 'help', short: 'h', description: 'print help (also: uiprocs help COMMAND)' },
  ] satisfies OptionSpec[],
} as const;

/**
 * Options every command accepts after its name too (`uiprocs up -f x.yaml`). `logs` has no
 * `-f` for the file: there it means --follow, as in `docker compose logs -f`.
 */
export function commonOptions(command: CommandSpec): OptionSpec[] {
  const taken = new Set(command.options.map((o) => o.short));
  return [
    {
      long: 'file',
      ...(taken.has('f') ? {} : { short: 'f' }),
      value: 'path',
      description: 'manifest to use (same as before the command)',
    },
    ...(takesProject(command) ? PROJECT_OPTIONS : []),
    { long: 'no-color', description: 'plain output without colour (also NO_COLOR=1)' },
    { long: 'help', short: 'h', description: 'print this help' },
  ];
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'up',
    description: 'start what is missing, recreate what changed, wait until ready',
    argument: TARGETS,
    options: [
      { long: 'dry-run', description: 'print the plan and change nothing' },
      { long: 'remove-orphans', description: 'stop services that are no longer in the manifest' },
      {
        long: 'watch',
        description: 'stay and apply manifest edits; restart crashed services (same as watch)',
      },
      { long: 'down-on-exit', description: 'with --watch: stop the services when watch ends' },
      {
        long: 'no-supervise',
        description: 'start no background supervisor (restart policies act only under watch)',
      },
    ],
    foreground: (o) => o.watch === true,
    load: () => import('./commands/up.js'),
  },
  {
    name: 'down',
    description: 'stop services gracefully (no targets: everything this project started)',
    argument: { kind: 'targets', description: 'services or groups (default: all, orphans included)' },
    options: [
      { long: 'timeout', short: 't', value: 'duration', description: 'override stop_timeout (e.g. 5s)' },
    ],
    load: () => import('./commands/down.js'),
  },
  {
    name: 'restart',
    description: 'stop then start services',
    argument: TARGETS,
    options: [],
    load: () => import('./commands/restart.js'),
  },
  {
    name: 'ps',
    description: 'show the services: status, pid, port, url, uptime',
    argument: TARGETS,
    options: [
      { long: 'json', description: 'machine-readable output on stdout' },
      { long: 'check', description: 'exit 1 unless every target is running' },
    ],
    load: () => import('./commands/ps.js'),
  },
  {
    name: 'ls',
    description: "list this user's projects from any folder: running/total, supervised, dashboard",
    argument: { kind: 'none' },
    options: [
      { long: 'json', description: 'machine-readable output on stdout' },
      { long: 'all', short: 'a', description: 'also the projects with nothing running' },
    ],
    load: () => import('./commands/ls.js'),
  },
  {
    name: 'logs',
    description: 'print service logs with name prefixes (and times: -t)',
    argument: TARGETS,
    options: [
      { long: 'follow', short: 'f', description: 'keep printing new lines until Ctrl-C' },
      {
        long: 'tail',
        short: 'n',
        value: 'lines',
        description: 'lines per service, or "all" (default 100; all with --since)',
      },
      { long: 'no-prefix', description: 'print lines without the service name' },
      {
        long: 'timestamps',
        short: 't',
        description: 'show when each line was written; services merged in time order',
      },
      { long: 'since', value: 'time', description: 'lines written since: 10m, 2h, or 2026-12-06T12:00:00' },
      { long: 'until', value: 'time', description: 'lines written until: 10m (ago) or a date and time' },
      { long: 'json', description: 'one JSON object per line: time, service, stream, text' },
    ],
    foreground: () => true,
    load: () => import('./commands/logs.js'),
  },
  {
    name: 'watch',
    description: 'converge, then apply manifest edits and restart crashed services (up --watch)',
    argument: TARGETS,
    options: [
      { long: 'down-on-exit', description: 'stop the services when watch ends' },
      { long: 'remove-orphans', description: 'stop services that are no longer in the manifest' },
    ],
    foreground: () => true,
    load: () => import('./commands/watch.js'),
  },
  {
    name: 'config',
    description: 'print the resolved manifest (defaults applied, variables interpolated)',
    argument: { kind: 'none' },
    options: [
      { long: 'json', description: 'JSON, keys sorted, for diffing' },
      { long: 'sources', description: 'which file (manifest or override) each value comes from' },
    ],
    load: () => import('./commands/config.js'),
  },
  {
    name: 'validate',
    description: 'check the manifest; exit 2 with located errors when it is wrong',
    argument: { kind: 'none' },
    options: [],
    load: () => import('./commands/validate.js'),
  },
  {
    name: 'mcp',
    description: 'serve this project to a coding agent: a Model Context Protocol server on stdio',
    argument: { kind: 'none' },
    options: [
      {
        long: 'lock-timeout',
        value: 'duration',
        description: 'how long up/down/restart wait for a state lock another command holds (default 20s)',
      },
      { long: 'all', description: 'every project `uiprocs ls` lists, read-only (projects, ps, logs)' },
    ],
    load: () => import('./commands/mcp.js'),
  },
  {
    name: 'export',
    description:
      'write the manifest as systemd units, a compose file, a Makefile fragment or Kubernetes objects',
    argument: {
      kind: 'one-of',
      name: 'format',
      description: 'what to write',
      choices: ['systemd', 'compose', 'make', 'kubernetes'],
    },
    options: [
      {
        long: 'user',
        description: 'systemd: user units (WantedBy=default.target instead of multi-user.target)',
      },
      {
        long: 'output',
        short: 'o',
        value: 'path',
        description:
          'systemd: a folder (default ./systemd); compose, make, kubernetes: a file (default stdout)',
      },
      {
        long: 'project-dir',
        value: 'dir',
        description: "systemd: where the project lives on the target host (default: the manifest's folder)",
      },
      {
        long: 'namespace',
        value: 'ns',
        description: 'kubernetes: metadata.namespace of every object (default: the one kubectl uses)',
      },
      {
        long: 'ingress',
        value: 'host',
        description: 'kubernetes: an Ingress per service with a port, at <service>.<host>',
      },
      {
        long: 'inline-env',
        description: "kubernetes: env values in the Deployments' env, not in a Secret per service",
      },
      {
        long: 'check',
        description: 'write nothing; exit 1 and name the files when the previous export is out of date',
      },
    ],
    load: () => import('./commands/export.js'),
  },
  {
    name: 'dashboard',
    description: "serve the project's page (status, logs, start/stop) on 127.0.0.1 until Ctrl-C",
    argument: { kind: 'none' },
    options: [
      {
        long: 'port',
        short: 'p',
        value: 'port',
        description: 'port to listen on (default: a free one)',
      },
      {
        long: 'host',
        value: 'addr',
        description: 'address to listen on (default 127.0.0.1; another one needs the printed token)',
      },
      { long: 'open', description: 'open the page in the browser (xdg-open / open)' },
      { long: 'all', description: 'one page for every project `uiprocs ls --all` lists' },
    ],
    foreground: () => true,
    load: () => import('./commands/dashboard.js'),
  },
  {
    name: 'init',
    description:
      'write a ui-procs.yaml from what this folder has (Procfile, package.json, pm2, compose, apps)',
    argument: { kind: 'none' },
    options: [
      { long: 'from', value: 'file', description: 'read only this file (a Procfile, package.json, …)' },
      { long: 'dry-run', description: 'print the manifest instead of writing it' },
    ],
    load: () => import('./commands/init.js'),
  },
  {
    name: 'completion',
    description: 'print the shell script for TAB completion (bash, zsh or fish) to source from your rc file',
    argument: { kind: 'one-of', name: 'shell', description: 'the shell', choices: ['bash', 'zsh', 'fish'] },
    options: [],
    load: () => import('./commands/completion.js'),
  },
  {
    name: '__supervise',
    hidden: true,
    description: 'the detached supervisor (started by up; see README "Keeping UIs alive")',
    argument: { kind: 'none' },
    options: [{ long: 'state-dir', value: 'dir', description: 'the state dir to supervise' }],
    foreground: () => true,
    load: () => import('../supervisor/command.js'),
  },
];

/** `dry-run` → `dryRun`, `no-color` → `color`: the key a command reads its option under. */
export function optionKey(long: string): string {
  const name = long.startsWith('no-') ? long.slice(3) : long;
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `-t, --timeout <duration>`: how an option is named in help and in usage errors. */
export function optionLabel(spec: OptionSpec): string {
  const names = spec.short ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
  return spec.value === undefined ? names : `${names} <${spec.value}>`;
}
