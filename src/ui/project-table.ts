import { createColors } from '../core/ansi.js';
import { homeShort } from '../engine/port-holders.js';
import type { ProjectRow } from '../engine/project-list.js';

/** `uiprocs ls` for people: one line per project, as `docker compose ls` prints them. */
export function formatProjectTable(
  rows: readonly ProjectRow[],
  color: boolean,
  env: Record<string, string | undefined>,
): string {
  const c = createColors(color);
  const header = ['NAME', 'FOLDER', 'RUNNING', 'SUPERVISED', 'DASHBOARD'];
  const cells = rows.map((r) => [
    r.name,
    homeShort(r.folder, env),
    `${r.running}/${r.total}`,
    r.supervised ?? '-',
    r.dashboard ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[], r?: ProjectRow) =>
    row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i]!);
        if (i !== 2 || r === undefined) return padded;
        return r.running === 0 ? c.dim(padded) : r.running < r.total ? c.yellow(padded) : c.green(padded);
      })
      .join('  ')
      .trimEnd();
  return `${[c.bold(line(header)), ...cells.map((row, i) => line(row, rows[i]!))].join('\n')}\n`;
}
