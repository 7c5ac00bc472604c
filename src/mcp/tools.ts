/**
 * The MCP server's tools, each a thin call into what the CLI runs — no tool exists that the
 * CLI does not have, and none runs anything the manifest does not declare (there is no
 * exec or shell tool):
 *
 * | tool      | the CLI's                 | reads / changes                     |
 * |-----------|---------------------------|-------------------------------------|
 * | ps        | `ps --json`               | records, /proc (broken manifest: records only) |
 * | up        | `up [targets]`            | converge, under the state lock      |
 * | down      | `down [targets]`          | converge (broken manifest: records only, all)  |
 * | restart   | `restart [targets]`       | converge                            |
 * | logs      | `logs -t -n N --since`    | log files and their time index      |
 * | plan      | `up --dry-run [targets]`  | observes; no lock, no change        |
 * | validate  | `validate`                | the manifest                        |
 *
 * Targets are checked against the manifest by the same rules as the CLI's (an unknown name
 * fails naming the known ones). Answers hold what the CLI prints — progress, plans, rows,
 * log lines — and no environment values: a row has none, and a plan names a changed
 * variable, never its value.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Failure } from '../core/model.js';
import type { ConvergeRequest } from '../engine/converge.js';
import type { ProjectInput } from '../engine/project.js';
import type { ConvergeCommand } from '../ui/converge-text.js';
import { type Answer, DEFAULT_LINES, errorAnswer, MAX_LINES, textAnswer } from './answer.js';

/*
 * What each tool runs is imported when it is first called, as the CLI loads a command's
 * modules: `initialize` then costs the SDK and this table, not the engine.
 */

/** The project the server was started for, and how long a change waits for the lock. */
export interface McpProject {
  input: ProjectInput;
  lockTimeoutMs: number;
}

/** What a tool call may do while it runs: tell its progress, and learn it was cancelled. */
export interface CallExtra {
  signal: AbortSignal;
  progress: (line: string) => void;
}

export interface ToolSpec {
  name: string;
  title: string;
  description: string;
  input: z.ZodRawShape;
  annotations: ToolAnnotations;
  /** Changes state: run one at a time, in the order the calls came. */
  changes: boolean;
  run: (project: McpProject, args: Record<string, unknown>, extra: CallExtra) => Promise<Answer>;
}

export const targets = z
  .array(z.string().max(200))
  .max(200)
  .optional()
  .describe('service or group names from the manifest; none: all of them');

async function failureText(project: McpProject, failure: Failure): Promise<string> {
  const { formatFailure } = await import('../ui/failure.js');
  return formatFailure(failure, { color: false, cwd: project.input.cwd });
}

function converging(
  command: ConvergeCommand,
  title: string,
  description: string,
  destructive: boolean,
): ToolSpec {
  return {
    name: command,
    title,
    description,
    input: { targets },
    annotations: { readOnlyHint: false, destructiveHint: destructive, idempotentHint: command !== 'restart' },
    changes: true,
    run: async (project, args, extra) => {
      const request: Omit<ConvergeRequest, 'targets'> = {
        command,
        lockTimeoutMs: project.lockTimeoutMs,
        // A cancelled call is the CLI's Ctrl-C: start nothing more, keep what started supervised.
        ...(command !== 'down' ? { interrupt: () => ({ signal: extra.signal, release: () => {} }) } : {}),
      };
      const { convergeText } = await import('../ui/converge-text.js');
      const done = await convergeText(project.input, (args.targets as string[] | undefined) ?? [], request, {
        onLine: extra.progress,
      });
      if (!done.ok) return errorAnswer(done.error.text);
      const urls = done.value.urls === '' ? '' : `\nrunning:\n${done.value.urls}`;
      return textAnswer(`${done.value.said}${urls}`);
    },
  };
}

export async function ps(project: McpProject, args: Record<string, unknown>): Promise<Answer> {
  const [
    { loadProjectOrRecords },
    { gatherPsRows },
    { getSystem },
    { displayPath },
    { formatRecordsOnlyWarning },
  ] = await Promise.all([
    import('../engine/project.js'),
    import('../engine/ps-rows.js'),
    import('../runtime/system.js'),
    import('../manifest/display.js'),
    import('../ui/failure.js'),
  ]);
  const loaded = await loadProjectOrRecords(project.input, (args.targets as string[] | undefined) ?? []);
  if (!loaded.ok) return errorAnswer(await failureText(project, loaded.error));
  const { desired, unusable } = loaded.value;
  const env = project.input.env;
  const seen = await gatherPsRows(desired, loaded.value.targets, getSystem(env), env);
  const head = [
    ...(unusable !== undefined
      ? [
          formatRecordsOnlyWarning(unusable, displayPath(desired.stateDir, project.input.cwd), {
            color: false,
            cwd: project.input.cwd,
          }).trimEnd(),
        ]
      : []),
    ...(seen.untrustedWarning !== undefined ? [`warning: ${seen.untrustedWarning}`] : []),
    ...seen.warnings.map((w) => `warning: ${w}`),
  ];
  // One row per line: valid JSON, and a third of the pretty-printed size.
  const rows = seen.rows.length === 0 ? '[]' : `[\n${seen.rows.map((r) => JSON.stringify(r)).join(',\n')}\n]`;
  return textAnswer([...head, rows, ...(seen.supervisionLine ? [seen.supervisionLine] : [])].join('\n'));
}

export async function logs(project: McpProject, args: Record<string, unknown>): Promise<Answer> {
  const service = args.service as string | undefined;
  const since = args.since as string | undefined;
  const [{ timeWindow }, { loadProject }, { logsAnswer }] = await Promise.all([
    import('../logs/time-window.js'),
    import('../engine/project.js'),
    import('./logs-answer.js'),
  ]);
  const window = timeWindow(since, undefined, Date.now(), (flag) => flag);
  if (!window.ok) return errorAnswer(await failureText(project, window.error));
  const loaded = await loadProject(project.input, service !== undefined ? [service] : []);
  if (!loaded.ok) return errorAnswer(await failureText(project, loaded.error));
  const { desired } = loaded.value;
  const names = loaded.value.targets.length > 0 ? loaded.value.targets : Object.keys(desired.services);
  return textAnswer(
    await logsAnswer(desired, {
      names,
      lines: (args.lines as number | undefined) ?? DEFAULT_LINES,
      ...(window.value.since !== undefined ? { since: window.value.since } : {}),
    }),
  );
}

async function plan(project: McpProject, args: Record<string, unknown>): Promise<Answer> {
  const { convergeText } = await import('../ui/converge-text.js');
  const done = await convergeText(project.input, (args.targets as string[] | undefined) ?? [], {
    command: 'up',
    dryRun: true,
  });
  return done.ok ? textAnswer(done.value.said) : errorAnswer(done.error.text);
}

async function validate(project: McpProject): Promise<Answer> {
  const [{ loadManifest }, { displayPath }] = await Promise.all([
    import('../manifest/load.js'),
    import('../manifest/display.js'),
  ]);
  const loaded = await loadManifest(project.input);
  if (!loaded.ok) return errorAnswer(await failureText(project, loaded.error));
  const count = Object.keys(loaded.value.services).length;
  const file = displayPath(loaded.value.manifestPath, project.input.cwd);
  return textAnswer(`${file}: ok (${count} service${count === 1 ? '' : 's'})`);
}

export const LOGS_DESCRIPTION =
  'The last lines of a service (or of all, merged by time), each with its time: ' +
  '`<service> | <ISO time> <text>`; `~` before a time marks an upper bound.';

export const LOGS_INPUT = {
  service: z.string().max(200).optional().describe('a service or group; none: all services'),
  lines: z
    .number()
    .int()
    .min(1)
    .max(MAX_LINES)
    .optional()
    .describe(`how many of the newest lines (default ${DEFAULT_LINES}, at most ${MAX_LINES})`),
  since: z
    .string()
    .max(100)
    .optional()
    .describe('only lines written since: a duration back from now (10m, 2h) or a date and time'),
};

export const READS: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

export const TOOLS: readonly ToolSpec[] = [
  {
    name: 'ps',
    title: 'Service status',
    description:
      'Every service of the manifest as `uiprocs ps --json` shows it: status, health, url, port, pid, restarts, ' +
      'last exit, cpu_percent, memory_bytes. Without targets it works from the run records when the manifest is broken.',
    input: { targets },
    annotations: READS,
    changes: false,
    run: ps,
  },
  converging(
    'up',
    'Start services',
    'Start what is missing and recreate what changed, then wait until each is ready (uiprocs up). ' +
      'Answers what changed and the URLs; on failure the exit and the last log lines.',
    false,
  ),
  converging(
    'down',
    'Stop services',
    'Stop services gracefully and their dependents (uiprocs down); no targets: everything this project started.',
    true,
  ),
  converging('restart', 'Restart services', 'Stop then start services (uiprocs restart).', true),
  {
    name: 'logs',
    title: 'Recent log lines',
    description: LOGS_DESCRIPTION,
    input: LOGS_INPUT,
    annotations: READS,
    changes: false,
    run: logs,
  },
  {
    name: 'plan',
    title: 'What up would do',
    description:
      'What `up` would start, recreate or stop and why (uiprocs up --dry-run); changes nothing. ' +
      'A broken manifest answers with its errors, each at file:line:column.',
    input: { targets },
    annotations: READS,
    changes: false,
    run: plan,
  },
  {
    name: 'validate',
    title: 'Check the manifest',
    description: 'Whether the manifest is right (uiprocs validate): ok, or each error at file:line:column.',
    input: {},
    annotations: READS,
    changes: false,
    run: validate,
  },
];
