import { type Colors, createColors } from '../core/ansi.js';
import { exitStatus } from '../core/exit.js';
import { formatBytes, formatPercent, formatUptime } from '../core/format.js';
import type { Status, StatusRow } from '../engine/status.js';

const paint: Record<Status, (c: Colors, s: string) => string> = {
  running: (c, s) => c.green(s),
  starting: (c, s) => c.yellow(s),
  restarting: (c, s) => c.yellow(s),
  completed: (c, s) => c.green(s),
  exited: (c, s) => c.red(s),
  stale: (c, s) => c.red(s),
  stopped: (c, s) => c.dim(s),
  untracked: (c, s) => c.yellow(s),
};

/** `ps` for people: aligned columns, colour only on the status, notes after the table. */
export function formatPsTable(rows: StatusRow[], color: boolean, now = Date.now()): string {
  const c = createColors(color);
  const header = ['NAME', 'GROUP', 'STATUS', 'PID', 'PORT', 'URL', 'UPTIME', 'CPU', 'MEM', 'RESTARTS'];
  const cells = rows.map((r) => [
    r.name,
    r.group.join(',') || '-',
    r.status === 'exited'
      ? exitStatus({ code: r.exit_code, signal: r.exit_signal })
      : r.health === null
        ? r.status
        : `${r.status} (${r.health})`,
    r.pid?.toString() ?? '-',
    r.port?.toString() ?? '-',
    r.url ?? '-',
    r.uptime_ms === null ? '-' : formatUptime(r.uptime_ms),
    r.cpu_percent === null ? '-' : formatPercent(r.cpu_percent),
    r.memory_bytes === null ? '-' : formatBytes(r.memory_bytes),
    String(r.restarts),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[], r?: StatusRow) =>
    row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i]!);
        if (i !== 2 || r === undefined) return padded;
        // As compose: the health is part of the status, and an unhealthy one is not green.
        if (r.health === 'unhealthy') return c.red(padded);
        if (r.health === 'starting' && r.status === 'running') return c.yellow(padded);
        return paint[r.status](c, padded);
      })
      .join('  ')
      .trimEnd();
  const out = [c.bold(line(header)), ...cells.map((row, i) => line(row, rows[i]!))];
  for (const r of rows) {
    if (r.note) out.push(c.dim(`${r.name}: ${r.note}`));
    // Why the restarts column moved: the last restart uiprocs made on its own.
    if (r.last_restart)
      out.push(
        c.dim(
          `${r.name}: restarted ${formatUptime(Math.max(0, now - Date.parse(r.last_restart.at)))} ago: ${r.last_restart.cause}`,
        ),
      );
  }
  return `${out.join('\n')}\n`;
}
