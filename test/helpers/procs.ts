import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PORTS_DIR_ENV } from './port-registry.js';

const stateOf = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];

/**
 * Gone or a zombie: PID 1 here reaps late, so a zombie must count as dead. But the stat of
 * a multi-threaded process (node) is its leader thread's, which turns `Z` while the other
 * threads still exit with the shared file table — the listening socket — open: dead only
 * when every thread is (as src/runtime/linux-system.ts decides). CI once saw "PID gone" and
 * then the port still answering.
 */
export function isGone(pid: number): boolean {
  try {
    const state = stateOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (state !== 'Z' && state !== 'X') return false;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      if (tid === String(pid)) continue;
      const t = stateOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      if (t !== 'Z' && t !== 'X') return false;
    }
    return true;
  } catch {
    return true;
  }
}

/**
 * Ports this test process has already handed out. The kernel may give the same free port to
 * two `listen(0)` calls in a row (the first was closed at once): ~1 in 1000 triples here. A test
 * that asks for three ports for three services must get three, or its manifest is invalid.
 */
const handedOut = new Set<number>();

/** A loopback port free right now (port 0 → the kernel's choice); tests never use fixed ports. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelFreePort();
    if (!handedOut.has(port) && claimAcrossWorkers(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Claims the port in the run's registry (see port-registry.ts); false when another worker has it. */
function claimAcrossWorkers(port: number): boolean {
  const dir = process.env[PORTS_DIR_ENV];
  if (!dir) return true;
  try {
    closeSync(openSync(join(dir, String(port)), 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** PIDs whose environment carries UIPROCS_PROJECT=<projectId> (a test's own tag). */
export function pidsTagged(projectId: string): number[] {
  const out: number[] = [];
  for (const name of safeReaddir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (env.split('\0').includes(`UIPROCS_PROJECT=${projectId}`) && !isGone(Number(name)))
        out.push(Number(name));
    } catch {
      // gone or not ours
    }
  }
  return out;
}

/** Argv of a live process, NUL-split. */
export function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * Anonymous resident memory of a process, in bytes (RssAnon of /proc/<pid>/status), 0 once
 * it is gone: what it allocated itself. File pages (node's own binary) are charged to the
 * cgroup that first read them, so a memory limit is compared with this, not VmRSS.
 */
export function anonRss(pid: number): number {
  try {
    return Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
