import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../../core/context.js';
import { type Failure, fail, ok, type Result } from '../../core/model.js';
import { loadProject } from '../../engine/project.js';
import { DEFAULT_TAIL } from '../../logs/print.js';
import { timeWindow } from '../../logs/time-window.js';

/**
 * `uiprocs logs`: the last lines of each service's log with a name prefix; `-f` keeps
 * following (new lines, files created or rotated later) until Ctrl-C. Logs are plain
 * files the services write themselves, so this works whether or not they still run.
 */
export default async function logs(
  ctx: Context,
  targets: string[],
  opts: {
    follow?: boolean;
    tail?: string;
    prefix: boolean;
    timestamps?: boolean;
    since?: string;
    until?: string;
    json?: boolean;
  },
): Promise<Result<number>> {
  const window = timeWindow(opts.since, opts.until, Date.now());
  if (!window.ok) return window;
  const tailText = opts.tail ?? (opts.since !== undefined ? 'all' : String(DEFAULT_TAIL));
  const tail = tailText === 'all' ? Number.POSITIVE_INFINITY : Number(tailText);
  if ((!Number.isInteger(tail) && tail !== Number.POSITIVE_INFINITY) || tail < 0)
    return fail({ reason: 'usage', message: `-n ${opts.tail}: expected a number of lines (or "all")` });
  const project = await loadProject(ctx, targets);
  if (!project.ok) return opts.follow ? explainFollow(project.error, targets, ctx.cwd) : project;
  const { desired } = project.value;
  const names = project.value.targets.length > 0 ? project.value.targets : Object.keys(desired.services);
  const sources = names.map((name) => ({
    name,
    path: desired.services[name]!.log.path,
    keep: desired.services[name]!.log.keep,
  }));
  const timed =
    opts.timestamps === true ||
    opts.json === true ||
    window.value.since !== undefined ||
    window.value.until !== undefined;
  const print = { tail, prefix: opts.prefix, color: ctx.colorOut && opts.json !== true, out: ctx.out };
  if (timed && !opts.follow) {
    const { printTimedLogs } = await import('../../logs/timed-print.js');
    const printed = await printTimedLogs(sources, {
      ...print,
      ...window.value,
      timestamps: opts.timestamps === true,
      json: opts.json === true,
    });
    return printed.ok ? ok(0) : printed;
  }
  if (!opts.follow) {
    const printed = await (await import('../../logs/print.js')).printLogs(sources, print);
    return printed.ok ? ok(0) : printed;
  }
  const { followLogs } = await import('../../logs/follow.js');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await followLogs(sources, {
    ...print,
    signal: stop.signal,
    warn: (m) => ctx.err(`warning: ${m}\n`),
    ...(timed
      ? { timed: { ...window.value, timestamps: opts.timestamps === true, json: opts.json === true } }
      : {}),
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return ok(0);
}

/**
 * `uiprocs logs -f ui.yaml` means "follow the service ui.yaml" (as in `docker compose logs
 * -f`), though it was most likely meant as the manifest, as `-f` is before the command or
 * after any other. When a target that looks like a file is what failed (no manifest here,
 * or no such service), the failure says how to name the manifest instead.
 */
function explainFollow(failure: Failure, targets: string[], cwd: string): Result<never> {
  const file = targets.find((t) => looksLikeFile(t, cwd));
  if (file === undefined || (failure.reason !== 'manifest-not-found' && failure.reason !== 'unknown-target'))
    return fail(failure);
  const hint =
    `after "logs", -f means --follow, so ${JSON.stringify(file)} was read as a service name; ` +
    `give the manifest before the command (uiprocs -f ${file} logs) or as --file ${file}`;
  const indent = failure.reason === 'unknown-target' ? '  ' : '';
  return fail({ ...failure, message: `${failure.message}\n${indent}${hint}` });
}

/** A path (service names hold no `/`), a manifest's extension, or an existing file. */
function looksLikeFile(target: string, cwd: string): boolean {
  if (target.includes('/') || /\.(ya?ml|json|[cm]?[jt]s)$/i.test(target)) return true;
  try {
    return statSync(resolve(cwd, target)).isFile();
  } catch {
    return false;
  }
}
