/**
 * The dashboard's changes: a click is `uiprocs up|down|restart [TARGET]`, run through the
 * very function those commands run (ui/converge-text.ts over engine/converge-project.ts):
 * the same requests, the same state lock, the same supervisor duties (an `up` from the
 * page still ensures a supervisor where a restart policy needs one). Their progress lines,
 * which the CLI prints on stderr, become the answer's `message`.
 *
 * A failure stays a value and is given an HTTP status here: an unknown name 404, a
 * manifest or usage problem 400, a held lock 409, a service that failed 500.
 */
import type { Context } from '../core/context.js';
import type { Failure } from '../core/model.js';
import { convergeText } from '../ui/converge-text.js';

export type Verb = 'start' | 'stop' | 'restart';

const COMMAND = { start: 'up', stop: 'down', restart: 'restart' } as const;

export interface ActionAnswer {
  status: number;
  body:
    | { ok: true; actions: Array<{ service: string; kind: string; cause: string }>; message: string }
    | { ok: false; error: string };
}

export function statusFor(failure: Failure): number {
  switch (failure.reason) {
    case 'unknown-target':
      return 404;
    case 'manifest-invalid':
    case 'manifest-not-found':
    case 'usage':
      return 400;
    case 'lock-failed':
      return 409;
    default:
      return 500;
  }
}

export async function runAction(
  base: Pick<Context, 'cwd' | 'env' | 'file'>,
  verb: Verb,
  targets: string[],
): Promise<ActionAnswer> {
  const done = await convergeText(base, targets, { command: COMMAND[verb] });
  if (!done.ok)
    return { status: statusFor(done.error.failure), body: { ok: false, error: done.error.text.trimEnd() } };
  const actions = done.value.report.plan.actions.map((a) => ({
    service: a.service,
    kind: a.kind,
    cause: a.cause,
  }));
  return { status: 200, body: { ok: true, actions, message: done.value.said.trimEnd() } };
}
