/**
 * What one dashboard may hold, so the process it runs in — the supervisor, whose job is to
 * restart services — always has descriptors and memory left for that job. An audit opened
 * 1,100 event streams (all 1,024 descriptors: restarts failed with EMFILE) and 30 streams
 * that never read (the supervisor grew from 40 MB to 665 MB in 45 s).
 *
 * - **Connections**: at most {@link MAX_CONNECTIONS}, and fewer when the descriptor limit
 *   is tight: {@link RESERVED_FDS} stay free for restarts (a spawn takes 3–6: stdio pipes,
 *   a log file, /proc reads). A connection beyond is closed at once by node (maxConnections).
 * - **Event streams**: at most {@link MAX_STREAMS}; one more is answered 503.
 * - **Queued bytes**: a stream whose unsent bytes pass {@link MAX_QUEUED_BYTES} (a page that
 *   stopped reading while a service logs fast) is dropped; its browser reconnects and
 *   reloads the tail, so a slow page costs itself, not the supervisor.
 * - **Timeouts**: headers within 10 s, a whole request within 30 s, idle keep-alive 5 s, so
 *   a connection that sends nothing does not hold a slot.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const MAX_CONNECTIONS = 64;
export const MAX_STREAMS = 32;
export const MAX_QUEUED_BYTES = 1024 * 1024;
export const RESERVED_FDS = 256;
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** The soft RLIMIT_NOFILE of this process (/proc/self/limits), or undefined off Linux. */
export function openFilesLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

function openFiles(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/**
 * How many connections this dashboard accepts: {@link MAX_CONNECTIONS}, or what the
 * descriptors left after {@link RESERVED_FDS} allow (at least 4, so the owner gets in).
 */
export function connectionCap(limit = openFilesLimit(), open = openFiles()): number {
  if (limit === undefined || open === undefined) return MAX_CONNECTIONS;
  return Math.max(4, Math.min(MAX_CONNECTIONS, limit - open - RESERVED_FDS));
}
