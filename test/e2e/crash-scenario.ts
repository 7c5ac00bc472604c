/**
 * Crash consistency: `kill -9` of the CLI at a random moment of `up`, `down` or
 * `restart`, then the oracle: `ps` tells the truth, the next `up` converges with exactly
 * one process per service and every port answering, the next `down` leaves nothing
 * tagged. One project of three servers (one slow to open its port) serves every run, so
 * each run starts from whatever the previous one left: running, stopped, half-started.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { answers, expectPsTruth, prng, sleep, taggedByService } from './faults.js';
import { type E2eProject, e2eProject, programs } from './harness.js';

export interface CrashStats {
  runs: number;
  byCommand: Record<string, number>;
  ms: number;
}

const SERVICES = ['a', 'b', 'slow'] as const;

export async function crashProject(): Promise<{ p: E2eProject; ports: number[] }> {
  const p = e2eProject();
  const ports = [await freePort(), await freePort(), await freePort()];
  const serve = join(programs, 'serve.mjs');
  p.write(`
services:
  a: { command: [node, ${serve}, "${ports[0]}"], port: ${ports[0]}, stop_timeout: 3s }
  b: { command: node ${serve} ${ports[1]}, port: ${ports[1]}, depends_on: [a], stop_timeout: 3s }
  slow: { command: [node, ${join(programs, 'slow-serve.mjs')}, "400", "${ports[2]}"], port: ${ports[2]}, stop_timeout: 3s }
`);
  return { p, ports };
}

async function killAfter(p: E2eProject, args: string[], delayMs: number): Promise<void> {
  const cli = p.start(args);
  const exited = new Promise((r) => cli.once('exit', r));
  await Promise.race([sleep(delayMs), exited]);
  cli.kill('SIGKILL');
  await exited;
}

async function expectAllUp(p: E2eProject, ports: number[], why: string): Promise<void> {
  const up = await p.run(['up']);
  expect(up.code, `${why}: up\n${up.stderr}`).toBe(0);
  const tagged = taggedByService(p.id);
  for (const name of SERVICES) {
    expect(tagged.get(name)?.length ?? 0, `${why}: processes of ${name}: ${tagged.get(name)}`).toBe(1);
  }
  expect([...tagged.keys()].sort(), why).toEqual([...SERVICES].sort());
  for (const port of ports) expect(await answers(port), `${why}: port ${port}`).toBe(true);
  const rows = await expectPsTruth(p);
  expect(
    rows.map((r) => r.status),
    why,
  ).toEqual(['running', 'running', 'running']);
}

async function expectAllDown(p: E2eProject, ports: number[], why: string): Promise<void> {
  const down = await p.run(['down']);
  expect(down.code, `${why}: down\n${down.stderr}`).toBe(0);
  expect(p.tagged(), `${why}: tagged after down`).toEqual([]);
  for (const port of ports) expect(await answers(port), `${why}: port ${port} after down`).toBe(false);
}

/**
 * `runs` seeded runs from `seed`; throws with the seed, run, command and delay of the first
 * failure so it can be replayed with FAULT_SEED.
 */
export async function crashRuns(seed: number, runs: number, maxDelayMs = 600): Promise<CrashStats> {
  const { p, ports } = await crashProject();
  const rnd = prng(seed);
  const stats: CrashStats = { runs: 0, byCommand: {}, ms: 0 };
  const t0 = performance.now();
  try {
    for (let i = 0; i < runs; i++) {
      const args = rnd.pick([['up'], ['down'], ['restart'], ['up', 'b'], ['restart', 'slow']]);
      const delay = rnd.int(0, maxDelayMs);
      const why = `seed=${seed} run=${i} kill -9 during '${args.join(' ')}' after ${delay} ms (replay: FAULT_SEED=${seed})`;
      await killAfter(p, args, delay);
      await expectPsTruth(p).catch((e: Error) => {
        throw new Error(`${why}: ${e.message}`);
      });
      await expectAllUp(p, ports, why);
      // Half the runs end stopped, so the next crash also meets a stopped project.
      if (rnd.next() < 0.5) await expectAllDown(p, ports, why);
      stats.runs++;
      const key = args.join(' ');
      stats.byCommand[key] = (stats.byCommand[key] ?? 0) + 1;
    }
    await expectAllDown(p, ports, `seed=${seed} final`);
  } finally {
    stats.ms = Math.round(performance.now() - t0);
    await p.cleanup();
  }
  return stats;
}
