import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { monotonicMs } from '../core/clock.js';
import { readToEnd } from '../core/read-to-end.js';
import {
  envValue,
  inuse,
  listenRows,
  parseNulEnv,
  parseStat,
  pastListening,
  threadCount,
} from './proc-text.js';
import type { PortOwner, ProcInfo, ServiceTag, System } from './system.js';

/**
 * System over `/proc`: every question is answered by reading a few small files, so a
 * `ps` of 50 services costs a few milliseconds and no child process. Reads race with
 * processes exiting; any read error simply means "gone" (undefined), never a throw.
 */
/**
 * How long one read of the listening-socket table answers `listeningPorts()` and
 * `portOwners()`. One read of tcp and tcp6 costs ~2.6 ms of CPU here even when they list
 * two sockets (the kernel walks every bucket of its socket hash tables), and an `up` of 10
 * asked 20 times. Waits that poll for a port to open never take a "listening" from it:
 * they share one fresh read per round instead (`listeningAmong`, listen-rounds.ts).
 */
export const LISTENING_TTL_MS = 5;

/**
 * How long a table read may keep saying "not listening" while the kernel's socket
 * counters stand still (`listeningAmong`). A new listening socket raises `inuse` in
 * /proc/net/sockstat or sockstat6, which costs ~0.05 ms to read against ~2 ms for the
 * table; so a wait for ten ports reads the table when some socket appeared, not at every
 * check. Only an unrelated socket closing in the same instant can hide a new listener from
 * the counters; this bounds how late that is noticed (the ready probe's own backoff
 * already waits up to 250 ms).
 */
export const LISTENING_MAX_AGE_MS = 100;

/** The LISTEN rows of the socket tables: port → socket inodes. */
type ListenTable = Map<number, string[]>;

export function createLinuxSystem(procRoot = '/proc', now: () => number = monotonicMs): System {
  let cachedBootId: string | undefined;
  /**
   * A table snapshot serves the rest of the current event-loop turn: stops of many
   * services start side by side in one turn and each sweeps the table; one sweep serves
   * them all. The next turn (a poll, a later sweep) reads afresh.
   */
  let snapshot: { table: ProcInfo[] } | undefined;
  let listening:
    | {
        at: number;
        /** When the counters were last found unchanged since the read. */
        checked: number;
        /** The socket counters, read just before the table. */
        counters: string | undefined;
        table: ListenTable | undefined;
        ports: Set<number> | undefined;
      }
    | undefined;
  /** A process's environment is fixed at exec: its tag is read once per (pid, start time). */
  const tagCache = new Map<number, { startTime: string; tag: ServiceTag | undefined }>();
  const buffer = Buffer.allocUnsafe(16 * 1024);

  /**
   * /proc files report size 0, so readFileSync stats, then reads in growing chunks; one
   * open and a read loop into a shared buffer is what a sweep of every process can afford.
   * Only for files that give all they have to a read (a process's stat, environ and
   * cmdline, sockstat, boot_id): a read that leaves the buffer unfilled was the end, which
   * spares one read in four syscalls per file. The socket tables, which the kernel hands
   * out a page per read, have their own loop (readListenRows).
   */
  function read(path: string): string | undefined {
    let text: string | undefined;
    readRaw(path, (raw) => {
      text = raw.toString('utf8');
    });
    return text;
  }

  /** Hands the whole file to `use` (a view of a shared buffer, valid only during the call); nothing when unreadable. */
  function readRaw(path: string, use: (raw: Buffer) => void): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    let raw: Buffer | undefined;
    try {
      raw = readToEnd(fd, buffer);
    } catch {
      return;
    } finally {
      closeSync(fd);
    }
    use(raw);
  }

  /**
   * The service tag in a process's environment, looked for in the raw bytes: a sweep
   * reads every process's environment, and decoding and splitting each whole block (40
   * variables and more) only to look at two of them was most of a sweep's cost.
   */
  function tagOf(pid: number): ServiceTag | undefined {
    let tag: ServiceTag | undefined;
    readRaw(`${procRoot}/${pid}/environ`, (raw) => {
      const project = envValue(raw, 'UIPROCS_PROJECT');
      const service = project === undefined ? undefined : envValue(raw, 'UIPROCS_SERVICE');
      if (project !== undefined && service !== undefined) tag = { project, service };
    });
    return tag;
  }

  let pageSize: number | undefined;

  function proc(pid: number): ProcInfo | undefined {
    const text = read(`${procRoot}/${pid}/stat`);
    pageSize ??= readPageSize(procRoot);
    const info = text === undefined ? undefined : parseStat(text, pageSize);
    if (info?.state === 'Z' && threadCount(text!) > 1) info.state = threadGroupState(pid);
    return info;
  }

  /**
   * The stat of a multi-threaded process (node, python with threads) shows the leader
   * thread: after SIGKILL it turns `Z` while the other threads are still exiting and the
   * shared file table (its listening socket!) is still open. Only when every thread is a
   * zombie is the process dead; until then report a live thread's state. Asked only when
   * the stat counts more than the leader's thread: a `down` of 50 servers otherwise listed
   * and read the threads of each zombie PID 1 had not reaped yet, at every look.
   */
  function threadGroupState(pid: number): string {
    let tids: string[];
    try {
      tids = readdirSync(`${procRoot}/${pid}/task`);
    } catch {
      return 'Z';
    }
    for (const tid of tids) {
      if (tid === String(pid)) continue;
      const state = parseStat(read(`${procRoot}/${pid}/task/${tid}/stat`) ?? '')?.state;
      if (state !== undefined && state !== 'Z' && state !== 'X') return state;
    }
    return 'Z';
  }

  function pids(): number[] {
    let names: string[];
    try {
      names = readdirSync(procRoot);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const name of names) {
      const code = name.charCodeAt(0);
      if (code >= 48 && code <= 57) out.push(Number(name));
    }
    return out;
  }

  function environ(pid: number): Record<string, string> | undefined {
    const text = read(`${procRoot}/${pid}/environ`);
    // A zombie (or kernel thread) has an empty environ: report it as unreadable.
    if (text === undefined || text.length === 0) return undefined;
    return parseNulEnv(text);
  }

  function cmdline(pid: number): string | undefined {
    const text = read(`${procRoot}/${pid}/cmdline`);
    if (text === undefined) return undefined;
    const joined = text.split('\0').filter(Boolean).join(' ');
    if (joined.length > 0) return joined;
    // Zombies and kernel threads have no argv; show `[comm]` the way ps does.
    const stat = read(`${procRoot}/${pid}/stat`);
    if (stat === undefined) return undefined;
    return `[${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}]`;
  }

  /**
   * The LISTEN rows of one socket table, read only as far as they go. The kernel lists
   * every listening socket before any connected or TIME_WAIT one (its iterator walks the
   * listening hash first) and makes the file a page per read, as it is read: stopping at
   * the first other row spares it the walk through the rest of its connection hash, and us
   * the parse. With 50 servers and the 350 TIME_WAIT sockets a bench run leaves, the whole
   * table cost ~2 ms a read; its first page, 0.05 ms.
   */
  function readListenRows(path: string): [number, string][] | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    const rows: [number, string][] = [];
    let carry = '';
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        // A read may end inside a row: keep the partial line for the next one.
        const text = carry + buffer.toString('latin1', 0, n);
        const end = text.lastIndexOf('\n') + 1;
        carry = text.slice(end);
        const lines = text.slice(0, end);
        for (const row of listenRows(lines)) rows.push(row);
        if (pastListening(lines)) break;
      }
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
    return rows;
  }

  /** Both socket tables in one read, shared for LISTENING_TTL_MS; undefined when neither can be read. */
  function listenTable(): { table: ListenTable | undefined; ports: Set<number> | undefined } {
    if (listening && now() - listening.at < LISTENING_TTL_MS) return listening;
    return readListenTable();
  }

  /** Both socket tables, read now. */
  function readListenTable(): { table: ListenTable | undefined; ports: Set<number> | undefined } {
    const at = now();
    // Read before the table: a socket created during the table read shows as a change next time.
    const counters = socketCounters();
    const [v4, v6] = counters?.split('/') ?? [];
    const inUse: Record<string, string | undefined> = { tcp: v4, tcp6: v6 };
    let table: ListenTable | undefined;
    for (const file of ['tcp', 'tcp6']) {
      // No socket of that family at all: no row to find, and the read would still walk
      // every bucket of the kernel's connection hash (~1 ms for an empty tcp6).
      const rows = inUse[file] === '0' ? [] : readListenRows(`${procRoot}/net/${file}`);
      if (rows === undefined) continue;
      table ??= new Map();
      for (const [port, inode] of rows) {
        const inodes = table.get(port);
        if (inodes) inodes.push(inode);
        else table.set(port, [inode]);
      }
    }
    listening = { at, checked: at, counters, table, ports: table && new Set(table.keys()) };
    return listening;
  }

  /**
   * Which of the ports something listens on, for waits that poll for the moment they open;
   * one read of the table at most, for all of them. "None of them" from an older read
   * still holds while no socket was added (LISTENING_MAX_AGE_MS). A "yes" always comes
   * from a read made in this call, since a socket that closed and one that opened leave
   * the counters as they were (a recreate on the same port): the time-to-live of
   * listenTable is no guarantee when a read itself can take longer than it (~1 ms with a
   * few hundred listeners here, and more on a machine with a larger connection hash or
   * busy cores), and a "yes" from before the question was asked may be the old server's.
   */
  function listeningAmong(ports: readonly number[]): Set<number> | undefined {
    const at = now();
    const last = listening;
    if (
      last?.ports !== undefined &&
      last.counters !== undefined &&
      at - last.at < LISTENING_MAX_AGE_MS &&
      !ports.some((port) => last.ports!.has(port))
    ) {
      if (at - last.checked < LISTENING_TTL_MS) return new Set();
      if (socketCounters() === last.counters) {
        last.checked = at;
        return new Set();
      }
    }
    const open = readListenTable().ports;
    return open && new Set(ports.filter((port) => open.has(port)));
  }

  /** The `inuse` counts of TCP and TCP6 sockets, as one string; undefined when unreadable. */
  function socketCounters(): string | undefined {
    const v4 = read(`${procRoot}/net/sockstat`);
    const v6 = read(`${procRoot}/net/sockstat6`);
    if (v4 === undefined || v6 === undefined) return undefined;
    return `${inuse(v4, 'TCP')}/${inuse(v6, 'TCP6')}`;
  }

  function portOwners(port: number): PortOwner[] {
    const inodes = new Set(listenTable().table?.get(port));
    if (inodes.size === 0) return [];
    const owners: PortOwner[] = [];
    for (const pid of pids()) {
      if (ownsAnySocket(`${procRoot}/${pid}/fd`, inodes)) {
        owners.push({ pid, command: cmdline(pid) ?? '?' });
      }
    }
    return owners;
  }

  return {
    kind: 'linux',
    bootId() {
      cachedBootId ??= (read(`${procRoot}/sys/kernel/random/boot_id`) ?? 'unknown').trim();
      return cachedBootId;
    },
    proc,
    pids,
    environ,
    cmdline,
    portOwners,
    // Many readiness waits ask at once; one read of the table serves them for a few ms.
    // Neither file readable (no /proc/net here): "unknown", never "nothing listens".
    listeningPorts: () => listenTable().ports,
    listeningAmong,
    table() {
      if (snapshot) return snapshot.table;
      const out: ProcInfo[] = [];
      for (const pid of pids()) {
        const info = proc(pid);
        if (info) out.push(info);
      }
      const taken = { table: out };
      snapshot = taken;
      setImmediate(() => {
        if (snapshot === taken) snapshot = undefined;
      });
      return out;
    },
    // Callers pass PIDs of a table they just took (this turn), so its start times are current.
    serviceTags(list) {
      const known = new Map((snapshot?.table ?? []).map((p) => [p.pid, p]));
      const out = new Map<number, ServiceTag>();
      for (const pid of list) {
        const info = known.get(pid);
        // Kernel threads (kthreadd's children) have no environment; skip the read.
        if (pid === 2 || info?.ppid === 2) continue;
        const startTime = info?.startTime;
        const cached = tagCache.get(pid);
        let tag: ServiceTag | undefined;
        if (startTime !== undefined && cached?.startTime === startTime) tag = cached.tag;
        else {
          tag = tagOf(pid);
          if (startTime !== undefined) tagCache.set(pid, { startTime, tag });
        }
        if (tag) out.set(pid, tag);
      }
      return out;
    },
  };
}

/** AT_PAGESZ in the auxiliary vector (/proc/self/auxv: pairs of native words). */
const AT_PAGESZ = 6;

/**
 * The page size, from this process's auxiliary vector (one small read; spawning
 * `getconf PAGESIZE` would cost more than a whole `ps`). 4096 when it cannot be read,
 * which is right on x86_64 and on arm64 with 4 KiB pages.
 */
export function readPageSize(procRoot = '/proc'): number {
  // Pairs of 64-bit little-endian words: the machines uiprocs runs on.
  if (process.arch !== 'x64' && process.arch !== 'arm64' && process.arch !== 'riscv64') return 4096;
  try {
    const raw = readFileSync(`${procRoot}/self/auxv`);
    for (let at = 0; at + 16 <= raw.length; at += 16) {
      const type = Number(raw.readBigUInt64LE(at));
      if (type === 0) break;
      if (type === AT_PAGESZ) {
        const size = Number(raw.readBigUInt64LE(at + 8));
        return size > 0 ? size : 4096;
      }
    }
  } catch {
    // unreadable (another kind of /proc): assume 4 KiB
  }
  return 4096;
}

function ownsAnySocket(fdDir: string, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return false; // gone, or another user's process
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`${fdDir}/${fd}`);
    } catch (error) {
      // ENOENT: that fd closed meanwhile. Anything else (EACCES on PID 1 here, a process
      // of another user) fails for every fd: stop after the first, as a throw costs ~30 µs.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return false;
    }
    if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return true;
  }
  return false;
}
