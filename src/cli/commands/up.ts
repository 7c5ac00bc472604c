import type { Result } from '../../core/model.js';
import { dashboardUrl, urlFor } from '../../ui/format.js';
import type { Context } from '../context.js';
import { runConverge } from './converge-command.js';

export interface UpOptions {
  dryRun?: boolean;
  removeOrphans?: boolean;
  watch?: boolean;
  downOnExit?: boolean;
  /** `--no-supervise`. */
  supervise?: boolean;
}

/** `uiprocs up`: converge, then list the URLs of what now runs, so the next step is a click. */
export default async function up(ctx: Context, targets: string[], opts: UpOptions): Promise<Result<number>> {
  if (opts.watch) {
    const watch = await import('./watch.js');
    return watch.default(ctx, targets, { downOnExit: opts.downOnExit, removeOrphans: opts.removeOrphans });
  }
  return runConverge(
    ctx,
    targets,
    {
      command: 'up',
      dryRun: opts.dryRun,
      removeOrphans: opts.removeOrphans,
      noSupervise: opts.supervise === false,
    },
    (desired, report, names) => {
      const wanted = names.length > 0 ? new Set(names) : undefined;
      const ports = new Map(report.started.map((r) => [r.name, r.port]));
      const lines: string[] = [];
      const width = Math.max(0, ...Object.keys(desired.services).map((n) => n.length));
      for (const spec of Object.values(desired.services)) {
        if (wanted && !wanted.has(spec.name)) continue;
        // Started now: the port it got; running unchanged: its record's (a kept `port: auto`).
        const running = report.observed.services[spec.name];
        const recorded = running?.status === 'running' ? running.record.port : null;
        const port = ports.get(spec.name) ?? recorded ?? (typeof spec.port === 'number' ? spec.port : null);
        const url = urlFor(port);
        if (url) lines.push(`  ${spec.name.padEnd(width)}  ${url}\n`);
      }
      // The supervisor serves the manifest's dashboard while anything runs.
      const anyRunning =
        report.started.length > 0 ||
        Object.values(report.observed.services).some((o) => o.status === 'running');
      if (
        desired.dashboard !== undefined &&
        desired.supervise !== false &&
        opts.supervise !== false &&
        anyRunning
      )
        lines.push(`  ${'dashboard'.padEnd(width)}  ${dashboardUrl(desired.dashboard.port)}\n`);
      if (report.plan.actions.length === 0) ctx.err('everything is up to date\n');
      if (lines.length > 0) ctx.err(lines.join(''));
    },
  );
}
