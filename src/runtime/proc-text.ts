/**
 * The text of /proc files, parsed: pure functions over what linux-system.ts reads (a stat
 * line, an environ block, a socket table), so each is unit-tested on fixed text.
 */
import type { ProcInfo } from './system.js';

/** `inuse N` on the `<proto>:` line of /proc/net/sockstat{,6}; '?' when absent. */
export function inuse(sockstat: string, proto: string): string {
  return new RegExp(`^${proto}: inuse (\\d+)`, 'm').exec(sockstat)?.[1] ?? '?';
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself
 * contain spaces and `)`, so the fixed fields are read after the LAST `)`.
 */
export function parseStat(text: string, pageSize = 4096): ProcInfo | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After ")": field 3 (state) is index 0, so field N is index N - 3.
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const startTime = rest[22 - 3];
  if (!Number.isInteger(pid) || state === undefined || startTime === undefined) return undefined;
  const info: ProcInfo = {
    pid,
    ppid: Number(rest[4 - 3]),
    pgid: Number(rest[5 - 3]),
    sid: Number(rest[6 - 3]),
    state,
    startTime,
  };
  // utime + stime (fields 14, 15) and rss in pages (field 24): usage for `ps`, at no extra read.
  const cpuTicks = Number(rest[14 - 3]) + Number(rest[15 - 3]);
  const rssPages = Number(rest[24 - 3]);
  if (Number.isFinite(cpuTicks)) info.cpuTicks = cpuTicks;
  if (Number.isFinite(rssPages)) info.rssBytes = rssPages * pageSize;
  return info;
}

/**
 * Field 20 of a stat line, the threads not yet released. A zombie leader counts itself;
 * its other threads count until each is gone, so 1 means nothing of the process runs.
 * Unparseable counts as many, which sends the caller to the per-thread look.
 */
export function threadCount(stat: string): number {
  const n = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[20 - 3]);
  return Number.isInteger(n) && n > 0 ? n : Number.POSITIVE_INFINITY;
}

/** The value of `key` in a NUL-separated `KEY=value` block (raw bytes), or undefined. */
export function envValue(raw: Buffer, key: string): string | undefined {
  const needle = `${key}=`;
  let at = raw.indexOf(needle);
  // A match must start an entry: `XUIPROCS_PROJECT=` or a value containing the text is not it.
  while (at > 0 && raw[at - 1] !== 0) at = raw.indexOf(needle, at + 1);
  if (at < 0) return undefined;
  const start = at + needle.length;
  const end = raw.indexOf(0, start);
  return raw.toString('utf8', start, end < 0 ? raw.length : end);
}

/** Splits a NUL-separated `KEY=value` block; the first `=` separates key from value. */
export function parseNulEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * `[port, inode]` of each LISTEN (`0A`) row of /proc/net/tcp or tcp6. One pattern over the
 * whole text: the table also lists every connected and TIME_WAIT socket, which are skipped
 * without being split into columns. Columns: sl, local address, remote address, state,
 * tx:rx queue, tr:when, retransmits, uid, timeout, inode.
 */
export function listenRows(table: string): [number, string][] {
  const rows: [number, string][] = [];
  const row =
    /^\s*\d+:\s+[0-9A-Fa-f]+:([0-9A-Fa-f]+)\s+[0-9A-Fa-f]+:[0-9A-Fa-f]+\s+0A\s+(?:\S+\s+){5}(\d+)/gm;
  for (let m = row.exec(table); m !== null; m = row.exec(table)) {
    if (m[2] !== '0') rows.push([Number.parseInt(m[1]!, 16), m[2]!]);
  }
  return rows;
}

/** Whether a piece of /proc/net/tcp{,6} holds a row in another state than LISTEN (`0A`). */
export function pastListening(table: string): boolean {
  return /^\s*\d+:\s+[0-9A-Fa-f]+:[0-9A-Fa-f]+\s+[0-9A-Fa-f]+:[0-9A-Fa-f]+\s+(?!0A\s)[0-9A-Fa-f]{2}\s/m.test(
    table,
  );
}
