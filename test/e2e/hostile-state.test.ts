/**
 * Torn or hostile state through the CLI. In every case a foreign process (plain node, no
 * tag, not started by uiprocs) has its PID planted in the bad state, and must survive
 * `up`, `ps` and `down`; each problem is reported on stderr, and nothing bad is followed
 * or trusted.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/model.js';
import { freePort, isGone } from '../helpers/procs.js';
import { bootId, expectPsTruth, startTimeOf, stranger } from './faults.js';
import { type E2eProject, e2eProject, programs } from './harness.js';

const serve = join(programs, 'serve.mjs');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(): Promise<{ p: E2eProject; port: number; foreign: number; run: string }> {
  const p = e2eProject();
  const foreign = stranger();
  cleanups.push(
    () => foreign.kill(),
    () => p.cleanup(),
  );
  const port = await freePort();
  p.write(`services:\n  web: { command: [node, ${serve}, "${port}"], port: ${port} }\n`);
  const run = join(p.stateDir, 'run');
  mkdirSync(run, { recursive: true, mode: 0o700 });
  chmodSync(p.stateDir, 0o700);
  return { p, port, foreign: foreign.pid, run };
}

/** A record that would be believed for `pid` if it were trusted: its real start time and boot id. */
function convincingRecord(name: string, pid: number, port: number | null = null): RunRecord {
  return {
    version: 1,
    name,
    project: 'x',
    pid,
    pgid: pid,
    sid: pid,
    startTime: startTimeOf(pid),
    bootId: bootId(),
    configHash: 'h',
    port,
    command: 'node',
    cwd: '/',
    logPath: '/dev/null',
    startedAt: new Date().toISOString(),
    restarts: 0,
  };
}

/** up, ps and down all succeed, the foreign process lives through each, and nothing of ours is left. */
async function survivesAll(
  p: E2eProject,
  foreign: number,
): Promise<{ up: string; ps: string; down: string }> {
  const up = await p.run(['up']);
  expect(up.code, up.stderr).toBe(0);
  expect(isGone(foreign), 'foreign process after up').toBe(false);
  const ps = await p.run(['ps', '--json']);
  expect(ps.code, ps.stderr).toBe(0);
  await expectPsTruth(p);
  expect(isGone(foreign), 'foreign process after ps').toBe(false);
  const down = await p.run(['down']);
  expect(down.code, down.stderr).toBe(0);
  expect(isGone(foreign), 'foreign process after down').toBe(false);
  expect(p.tagged()).toEqual([]);
  return { up: up.stderr, ps: ps.stderr, down: down.stderr };
}

describe('hostile run records', () => {
  it('a truncated record (torn write) naming the foreign PID is reported and removed, never believed', async () => {
    const { p, foreign, run } = await setup();
    const whole = JSON.stringify(convincingRecord('web', foreign));
    writeFileSync(join(run, 'web.json'), whole.slice(0, whole.length / 2));
    writeFileSync(join(run, 'web.pid'), `${foreign}\n`);
    const out = await survivesAll(p, foreign);
    expect(out.up).toMatch(/warning: .*web\.json: is not valid JSON \(truncated or garbage\); removed it/);
  });

  it('garbage bytes in a record and junk in a pid file are reported, never trusted', async () => {
    const { p, foreign, run } = await setup();
    writeFileSync(join(run, 'web.json'), Buffer.from([0xff, 0x00, 0x7b, 0x22, 0x13, 0x37]));
    writeFileSync(join(run, 'web.pid'), `${foreign}; rm -rf /\n`);
    const out = await survivesAll(p, foreign);
    expect(out.up).toMatch(/warning: .*web\.json: is not valid JSON/);
    expect(out.up).toMatch(/warning: .*web\.pid: pid file without a run record; removed it/);
  });

  it('a junk pid file beside a good record is rewritten from the record', async () => {
    const { p, foreign, run } = await setup();
    await p.ok(['up']);
    const pid = p.record('web')!.pid;
    writeFileSync(join(run, 'web.pid'), `${foreign}x\n`);
    const ps = await p.run(['ps']);
    expect(ps.stderr).toMatch(
      new RegExp(`warning: .*web\\.pid: does not contain a PID .*; rewrote it with ${pid}`),
    );
    expect(readFileSync(join(run, 'web.pid'), 'utf8')).toBe(`${pid}\n`);
    await survivesAll(p, foreign);
  });

  it('a record for a service no longer in the manifest, whose PID now belongs to a stranger, is stale', async () => {
    const { p, foreign, run } = await setup();
    // The PID was ours once (another start time): exactly what PID reuse looks like.
    writeFileSync(
      join(run, 'gone.json'),
      JSON.stringify({ ...convincingRecord('gone', foreign), startTime: '1' }),
    );
    writeFileSync(join(run, 'gone.pid'), `${foreign}\n`);
    const rows = await expectPsTruth(p);
    expect(rows.find((r) => r.name === 'gone')).toMatchObject({
      status: 'stale',
      note: expect.stringMatching(/start time differs/),
    });
    const out = await survivesAll(p, foreign);
    expect(out.up).toMatch(/gone +remove-stale: .*start time differs/);
    expect(p.record('gone')).toBeUndefined();
  });

  it('a record from another boot naming a live foreign PID (start time matching) is stale', async () => {
    const { p, foreign, run } = await setup();
    writeFileSync(
      join(run, 'old.json'),
      JSON.stringify({ ...convincingRecord('old', foreign), bootId: 'another-boot' }),
    );
    const out = await survivesAll(p, foreign);
    expect(out.up).toMatch(/old +remove-stale: .*record from a previous boot/);
  });

  it('a record replaced by a symlink to a convincing record elsewhere: the link is removed, its target untouched', async () => {
    const { p, foreign, run, port } = await setup();
    const elsewhere = join(p.dir, 'elsewhere.json');
    const text = JSON.stringify(convincingRecord('web', foreign, port));
    writeFileSync(elsewhere, text);
    const before = statSync(elsewhere);
    symlinkSync(elsewhere, join(run, 'web.json'));
    symlinkSync(elsewhere, join(run, 'web.pid'));
    const ps = await p.run(['ps', '--json']);
    expect(ps.stderr).toMatch(/warning: .*web\.json: is a symlink .*records must be regular files/);
    const out = await survivesAll(p, foreign);
    expect(`${ps.stderr}${out.up}`).toMatch(/removed the link \(its target is untouched\)/);
    expect(readFileSync(elsewhere, 'utf8')).toBe(text);
    expect(statSync(elsewhere).mtimeMs).toBe(before.mtimeMs);
    expect(lstatSync(join(run, 'web.json'), { throwIfNoEntry: false })).toBeUndefined();
  });
});

describe('hostile lock and state dir', () => {
  it('a lock left by a dead PID is taken over with a warning', async () => {
    const { p, foreign } = await setup();
    const dead = stranger();
    const deadPid = dead.pid;
    const deadStart = startTimeOf(deadPid);
    dead.kill();
    await new Promise((r) => setTimeout(r, 50));
    const holder = (pid: number, startTime: string) =>
      JSON.stringify({
        pid,
        startTime,
        bootId: bootId(),
        command: 'uiprocs up',
        acquiredAt: new Date().toISOString(),
        token: 't',
      });
    writeFileSync(join(p.stateDir, 'lock'), holder(deadPid, deadStart));
    // No supervisor: it would take the next planted lock over before down does.
    const up = await p.run(['up', '--no-supervise']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(
      new RegExp(`warning: .*lock: took over the state lock left by pid ${deadPid} \\(uiprocs up\\)`),
    );
    // A lock naming the live foreign PID with another start time (PID reuse) is broken, never signalled.
    writeFileSync(join(p.stateDir, 'lock'), holder(foreign, '1'));
    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(new RegExp(`took over the state lock left by pid ${foreign}`));
    expect(isGone(foreign)).toBe(false);
    await survivesAll(p, foreign);
  });

  it('a state dir with mode 0777 is refused (exit 1, clear message), nothing is started, a planted record is not acted on', async () => {
    const { p, foreign, run, port } = await setup();
    // Planted while the dir was open: it names the foreign process with its real identity.
    writeFileSync(join(run, 'web.json'), JSON.stringify(convincingRecord('web', foreign, port)));
    chmodSync(p.stateDir, 0o777);
    const up = await p.run(['up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`state dir ${p.stateDir} has mode 0777`);
    expect(up.stderr).toContain(`chmod 700 ${p.stateDir}`);
    expect(up.stderr).not.toMatch(/internal error|\n\s+at .*:\d+:\d+\)?\n/);
    expect(p.tagged()).toEqual([]);
    const ps = await p.run(['ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stderr).toContain('has mode 0777');
    const down = await p.run(['down']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('has mode 0777');
    expect(isGone(foreign)).toBe(false);
    expect(statSync(p.stateDir).mode & 0o777).toBe(0o777); // left for a person to judge
    expect(readFileSync(join(run, 'web.json'), 'utf8')).toContain(`"pid":${foreign}`);
  });
});
