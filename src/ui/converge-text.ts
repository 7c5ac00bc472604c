/**
 * A converge whose lines are collected instead of printed: `up`/`down`/`restart` for a
 * caller that answers with text rather than a terminal — a dashboard click
 * (dashboard/actions.ts) and an MCP tool call (mcp/tools.ts). It is the very converge the
 * CLI runs (engine/converge-project.ts), with the lines the CLI prints on stderr gathered
 * without colour, and the CLI's closing words (`everything is up to date`, the URL list).
 */
import type { Desired, Failure, Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { formatPlan } from '../core/plan.js';
import type { ConvergeReport, ConvergeRequest } from '../engine/converge.js';
import { convergeProject } from '../engine/converge-project.js';
import type { ProjectInput } from '../engine/project.js';
import { displayPath } from '../manifest/display.js';
import { formatFailure, formatRecordsOnlyWarning } from './failure.js';
import { plainRenderer } from './progress.js';
import { urlLines } from './url-list.js';

export type ConvergeCommand = ConvergeRequest['command'];

export interface ConvergedText {
  /** The progress lines, as `uiprocs up` prints them on stderr. */
  said: string;
  /** What `up`/`restart` print on stdout: each running service's URL. */
  urls: string;
  desired: Desired;
  report: ConvergeReport;
}

export interface ConvergeTextFailure {
  failure: Failure;
  /** The progress lines, then the failure as the CLI prints it. */
  text: string;
}

/**
 * The note a converge that changed nothing ends with, as the CLI prints it: one home for
 * the words, so `up` in a terminal and `up` from an agent say the same thing.
 */
export function nothingToDo(command: ConvergeCommand): string {
  return command === 'down' ? 'nothing is running' : 'everything is up to date';
}

export async function convergeText(
  input: ProjectInput,
  targets: string[],
  request: Omit<ConvergeRequest, 'targets'>,
  /** Each line as it is said, for a caller that shows progress while the converge runs. */
  opts: { onLine?: (line: string) => void } = {},
): Promise<Result<ConvergedText, ConvergeTextFailure>> {
  let said = '';
  const say = (s: string) => {
    said += s;
    opts.onLine?.(s.trimEnd());
  };
  const plain = plainRenderer(say, false);
  const done = await convergeProject(
    {
      input,
      // A dry run's plan is its answer, as `up --dry-run` prints it.
      renderer: request.dryRun
        ? {
            ...plain,
            plan: (p, warnings) => {
              for (const w of warnings) say(`warning: ${w}\n`);
              say(formatPlan(p));
            },
          }
        : plain,
      warn: (line) => say(`${line}\n`),
      recordsOnly: (failure, stateDir) =>
        say(
          formatRecordsOnlyWarning(failure, displayPath(stateDir, input.cwd), {
            color: false,
            cwd: input.cwd,
          }),
        ),
    },
    targets,
    request,
  );
  if (!done.ok)
    return fail({
      failure: done.error,
      text: `${said}${formatFailure(done.error, { color: false, cwd: input.cwd })}`,
    });
  const { desired, report } = done.value;
  if (request.dryRun) return ok({ said, urls: '', desired, report });
  if (report.plan.actions.length === 0) say(`${nothingToDo(request.command)}\n`);
  const urls =
    request.command === 'down'
      ? ''
      : urlLines(desired, report, done.value.targets, request.noSupervise !== true);
  return ok({ said, urls, desired, report });
}
