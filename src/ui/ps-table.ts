import type { Status, StatusRow } from '../app/status.js';
import { exitStatus } from '../core/exit.js';
import { type Colors, createColors } from './ansi.js';
import { formatUptime } from './format.js';

const paint: Record<Status, (c: Colors, s: string) => string> = {
  running: (c, s) => c.green(s),
  starting: (c, s) => c.yellow(s),
  completed: (c, s) => c.green(s),
  exited: (c, s) => c.red(s),
  stale: (c, s) => c.red(s),
  stopped: (c, s) => c.dim(s),
  untracked: (c, s) => c.yellow(s),
};

/** `ps` for people: aligned columns, colour only on the status, notes after the table. */
export function formatPsTable(rows: StatusRow[], color: boolean): string {
  const c = createColors(color);
  const header = ['NAME', 'GROUP', 'STATUS', 'PID', 'PORT', 'URL', 'UPTIME', 'RESTARTS'];
  const cells = rows.map((r) => [
    r.name,
    r.group.join(',') || '-',
    r.status === 'exited' ? exitStatus({ code: r.exit_code, signal: r.exit_signal }) : r.status,
    r.pid?.toString() ?? '-',
    r.port?.toString() ?? '-',
    r.url ?? '-',
    r.uptime_ms === null ? '-' : formatUptime(r.uptime_ms),
    String(r.restarts),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[], status?: Status) =>
    row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i]!);
        return i === 2 && status ? paint[status](c, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [c.bold(line(header)), ...cells.map((row, i) => line(row, rows[i]!.status))];
  for (const r of rows) if (r.note) out.push(c.dim(`${r.name}: ${r.note}`));
  return `${out.join('\n')}\n`;
}
