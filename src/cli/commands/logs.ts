import { loadProject } from '../../app/project.js';
import { fail, ok, type Result } from '../../core/model.js';
import type { Context } from '../context.js';

/**
 * `uiprocs logs`: the last lines of each service's log with a name prefix; `-f` keeps
 * following (new lines, files created or rotated later) until Ctrl-C. Logs are plain
 * files the services write themselves, so this works whether or not they still run.
 */
export default async function logs(
  ctx: Context,
  targets: string[],
  opts: { follow?: boolean; tail: string; prefix: boolean },
): Promise<Result<number>> {
  const tail = opts.tail === 'all' ? Number.POSITIVE_INFINITY : Number(opts.tail);
  if (!Number.isInteger(tail) && tail !== Number.POSITIVE_INFINITY) {
    return fail({ reason: 'usage', message: `-n ${opts.tail}: expected a number of lines (or "all")` });
  }
  if (tail < 0)
    return fail({ reason: 'usage', message: `-n ${opts.tail}: expected a number of lines (or "all")` });
  const project = await loadProject(ctx, targets);
  if (!project.ok) return project;
  const { desired } = project.value;
  const names = project.value.targets.length > 0 ? project.value.targets : Object.keys(desired.services);
  const sources = names.map((name) => ({ name, path: desired.services[name]!.log.path }));
  const print = { tail, prefix: opts.prefix, color: ctx.colorOut, out: ctx.out };
  if (!opts.follow) {
    const printed = await (await import('../../logs/print.js')).printLogs(sources, print);
    return printed.ok ? ok(0) : printed;
  }
  const { followLogs } = await import('../../logs/follow.js');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await followLogs(sources, { ...print, signal: stop.signal, warn: (m) => ctx.err(`warning: ${m}\n`) });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return ok(0);
}
