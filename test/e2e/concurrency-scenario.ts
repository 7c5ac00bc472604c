/**
 * Several "terminals" (child processes) run a seeded random schedule of up, down,
 * restart, `up web`, `down web` at once, while a `watch` runs through it all. Afterwards:
 * every command finished within a bound (no deadlock), and after a final `up` there is at
 * most one tagged process tree per service (group leaders), every tagged leader has a
 * record naming it (no lost records), and every port answers.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { answers, expectPsTruth, leadersByService, prng, sleep } from './faults.js';
import { type CliResult, e2eProject } from './harness.js';

const COMMANDS = [['up'], ['down'], ['restart'], ['up', 'web'], ['down', 'web']];
/** One command, lock waits included, never takes longer than this. */
export const COMMAND_BOUND_MS = 45_000;

export interface ScheduleStats {
  commands: number;
  slowestMs: number;
  ms: number;
}

export async function concurrentSchedule(
  seed: number,
  terminals = 3,
  perTerminal = 4,
): Promise<ScheduleStats> {
  const p = e2eProject();
  const rnd = prng(seed);
  const [api, web, worker] = [await freePort(), await freePort(), await freePort()];
  const serve = join(programs(), 'serve.mjs');
  p.write(`
services:
  api: { command: [node, ${serve}, "${api}"], port: ${api}, restart: always }
  web: { command: node ${serve} ${web}, port: ${web}, depends_on: [api], restart: always }
  worker: { command: [node, ${join(programs(), 'slow-serve.mjs')}, "300", "${worker}"], port: ${worker}, restart: on-failure }
`);
  const stats: ScheduleStats = { commands: 0, slowestMs: 0, ms: 0 };
  const t0 = performance.now();
  const watch = p.start(['watch']);
  let watchErr = '';
  watch.stderr?.on('data', (d) => {
    watchErr += String(d);
  });
  const why = (s: string) =>
    `seed=${seed} (replay: FAULT_SEED=${seed}): ${s}\nwatch said:\n${watchErr.slice(-2000)}`;
  try {
    const schedules = Array.from({ length: terminals }, () =>
      Array.from({ length: perTerminal }, () => ({ args: rnd.pick(COMMANDS), delay: rnd.int(0, 400) })),
    );
    const results = await Promise.all(
      schedules.map(async (steps, t) => {
        const out: { args: string[]; r: CliResult; ms: number }[] = [];
        for (const step of steps) {
          await sleep(step.delay);
          const start = performance.now();
          const r = await p.run(step.args);
          out.push({ args: step.args, r, ms: performance.now() - start });
        }
        return out.map((o) => ({ ...o, terminal: t }));
      }),
    );
    for (const o of results.flat()) {
      stats.commands++;
      stats.slowestMs = Math.max(stats.slowestMs, Math.round(o.ms));
      expect(o.ms, why(`terminal ${o.terminal} '${o.args.join(' ')}' took ${o.ms} ms`)).toBeLessThan(
        COMMAND_BOUND_MS,
      );
      expect(o.r.stderr, why(`terminal ${o.terminal} '${o.args.join(' ')}'`)).not.toMatch(/internal error/);
      // A command may lose a race (a port taken by the twin a moment ago), but never with a usage error.
      expect(
        o.r.code,
        why(`terminal ${o.terminal} '${o.args.join(' ')}' exit ${o.r.code}\n${o.r.stderr}`),
      ).not.toBe(2);
    }
    watch.kill('SIGTERM');
    await new Promise((r) => (watch.exitCode !== null ? r(null) : watch.once('exit', r)));
    const up = await p.run(['up']);
    expect(up.code, why(`final up\n${up.stderr}`)).toBe(0);
    const leaders = leadersByService(p.id);
    for (const name of ['api', 'web', 'worker']) {
      expect(leaders.get(name)?.length, why(`${name} leaders ${leaders.get(name)}`)).toBe(1);
      expect(p.record(name)?.pid, why(`${name} record`)).toBe(leaders.get(name)![0]);
    }
    expect([...leaders.keys()].sort()).toEqual(['api', 'web', 'worker']);
    for (const port of [api, web, worker]) expect(await answers(port), why(`port ${port}`)).toBe(true);
    await expectPsTruth(p);
    const down = await p.run(['down']);
    expect(down.code, why(down.stderr)).toBe(0);
    expect(p.tagged(), why('tagged after down')).toEqual([]);
  } finally {
    if (watch.exitCode === null) watch.kill('SIGKILL');
    stats.ms = Math.round(performance.now() - t0);
    await p.cleanup();
  }
  return stats;
}

function programs(): string {
  return join(import.meta.dirname, '../fixtures/programs');
}
