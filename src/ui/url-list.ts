/**
 * The result of `up`, `restart` and watch's first converge: each service that now runs and
 * its URL, then the dashboard's. It is what a script pipes (`uiprocs up | grep http`), so
 * the commands print it on stdout; their progress (starting…, ready…) goes to stderr, as
 * docker compose does.
 */

import { dashboardUrl, urlFor } from '../core/format.js';
import type { Desired } from '../core/model.js';
import type { ConvergeReport } from '../engine/converge.js';
import { tokenForUrl } from '../state/dashboard-token.js';

/**
 * One `  name  url` line per targeted service with a port (none: all services), and the
 * dashboard's when the supervisor serves it (`supervised`: not `--no-supervise`).
 */
export function urlLines(
  desired: Desired,
  report: Pick<ConvergeReport, 'started' | 'observed'>,
  names: string[],
  supervised = true,
): string {
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
    report.started.length > 0 || Object.values(report.observed.services).some((o) => o.status === 'running');
  if (desired.dashboard !== undefined && desired.supervise !== false && supervised && anyRunning)
    lines.push(
      `  ${'dashboard'.padEnd(width)}  ${dashboardUrl(desired.dashboard.port, tokenForUrl(desired.stateDir))}\n`,
    );
  return lines.join('');
}
