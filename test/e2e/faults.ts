/**
 * Shared by the fault-injection tests (crash, hostile state, concurrency, resources,
 * signals) and their soak variants: a seeded PRNG, per-service counts of tagged
 * processes straight from /proc, and the "ps tells the truth" oracle.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { expect } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { isGone } from '../helpers/procs.js';
import type { E2eProject } from './harness.js';

/** mulberry32: tiny, seedable, good enough to pick schedules; the seed is printed on failure. */
export function prng(seed: number): {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: T[]): T;
} {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: (xs) => xs[int(0, xs.length - 1)]! };
}

/** The base seed of a run: FAULT_SEED when set (to replay a failure), otherwise fresh. */
export function baseSeed(): number {
  const fixed = process.env.FAULT_SEED;
  return fixed !== undefined ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
}

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

export function statOf(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]) };
  } catch {
    return undefined;
  }
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Live (non-zombie) PIDs carrying UIPROCS_PROJECT=<id>, by UIPROCS_SERVICE. */
export function taggedByService(projectId: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const pid of allPids()) {
    let env: string[];
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!env.includes(`UIPROCS_PROJECT=${projectId}`) || isGone(pid)) continue;
    const service =
      env.find((e) => e.startsWith('UIPROCS_SERVICE='))?.slice('UIPROCS_SERVICE='.length) ?? '?';
    out.set(service, [...(out.get(service) ?? []), pid]);
  }
  return out;
}

/** Tagged group leaders (pid = pgid) by service: one per started process tree. */
export function leadersByService(projectId: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [service, pids] of taggedByService(projectId)) {
    const leaders = pids.filter((pid) => statOf(pid)?.pgid === pid);
    if (leaders.length > 0) out.set(service, leaders);
  }
  return out;
}

export function answers(port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(ms, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function psRows(p: E2eProject): Promise<StatusRow[]> {
  const r = await p.run(['ps', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusRow[];
}

/**
 * `ps --json` tells the truth: a `running` row names a live PID that answers on its port;
 * no row claims running (or starting) for a dead process.
 */
export async function expectPsTruth(p: E2eProject): Promise<StatusRow[]> {
  const rows = await psRows(p);
  for (const row of rows) {
    if (row.status === 'running' || row.status === 'starting') {
      expect(row.pid, `${row.name} ${row.status} without pid`).not.toBeNull();
      expect(isGone(row.pid!), `${row.name} claims ${row.status} but pid ${row.pid} is dead`).toBe(false);
    }
    if (row.status === 'running' && row.port !== null) {
      expect(await answers(row.port), `${row.name} running but port ${row.port} is closed`).toBe(true);
    }
  }
  return rows;
}

/** A plain foreign process: not started by uiprocs, no tag. Kill it with `.kill()`. */
export function stranger(): { pid: number; kill(): void } {
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' });
  return { pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

/** Field 22 of /proc/<pid>/stat: what a record's startTime holds. */
export function startTimeOf(pid: number): string {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
}

export function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
