/**
 * Logs with time (issue 22), with real services printing: `logs -t` merges two services
 * printing interleaved in the order they wrote; `--json` tells stdout from stderr;
 * `--since` keeps the window; `-f -t` keeps the order across services; a supervisor
 * killed with -9 mid-stream blocks no service and loses no line, whose time is then honest
 * (approximate, bounded); rotation carries the times with the lines.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import {
  type E2eProject,
  e2eProject,
  isGone,
  killSupervisor,
  liveSupervisor,
  programs,
  trackProjects,
} from './harness.js';

const printEvery = join(programs, 'print-every.mjs');
const track = trackProjects();

interface JsonLine {
  time: string;
  service: string;
  stream: string;
  text: string;
  approx?: boolean;
  after?: string;
}

async function jsonLogs(p: E2eProject, ...args: string[]): Promise<JsonLine[]> {
  const r = await p.ok(['logs', '--json', ...args]);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonLine);
}

/** Waits until `service` has `n` lines a stamper saw (not approximate). */
async function stampedLines(p: E2eProject, n: number, ...args: string[]) {
  return waitFor(
    async () => {
      const lines = await jsonLogs(p, '-n', 'all', ...args);
      return lines.filter((l) => !l.approx).length >= n ? lines : undefined;
    },
    { timeout: 15_000, what: `${n} stamped lines` },
  );
}

describe('logs with time', () => {
  it('logs -t merges two services printing interleaved in the order they were written', async () => {
    const p = track(e2eProject());
    // a prints at 0, 200, 400 … ms; b at 100, 300, 500 …: the true order alternates.
    p.write(
      `services:\n  a: { command: node ${printEvery} a 200 0 }\n  b: { command: node ${printEvery} b 200 100 }\n`,
    );
    await p.ok(['up']);
    await liveSupervisor(p);
    const lines = (await stampedLines(p, 12)).filter((l) => !l.approx);
    const times = lines.map((l) => Date.parse(l.time));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // Stamped lines alternate between the services, 100 ms apart.
    const seq = lines.map((l) => `${l.text}@${l.time.slice(17, 23)}`).join(' ');
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.service, seq).not.toBe(lines[i - 1]!.service);
    const text = await p.ok(['logs', '-t', '-n', '3']);
    const shown = text.stdout.trim().split('\n');
    expect(shown).toHaveLength(6);
    for (const line of shown)
      expect(line).toMatch(/^[ab] \| ~?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [ab] \d+$/);
    const shownTimes = shown.map((l) => Date.parse(l.split(' ')[2]!.replace('~', '')));
    expect(shownTimes).toEqual([...shownTimes].sort((x, y) => x - y));
  });

  it('--json tells stdout from stderr, and --since keeps only the window', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  app: { command: node ${printEvery} app 50 0 alt }\n`);
    await p.ok(['up']);
    await liveSupervisor(p);
    const lines = (await stampedLines(p, 20)).filter((l) => !l.approx);
    for (const l of lines) expect(l.stream).toBe(l.text.includes(' err ') ? 'stderr' : 'stdout');
    expect(new Set(lines.map((l) => l.stream))).toEqual(new Set(['stdout', 'stderr']));
    const cut = Date.now();
    await waitFor(async () => (await jsonLogs(p, '--since', new Date(cut).toISOString())).length >= 5, {
      what: 'five lines after the cut',
    });
    const recent = await jsonLogs(p, '--since', new Date(cut).toISOString());
    for (const l of recent) expect(Date.parse(l.time)).toBeGreaterThanOrEqual(cut);
    expect(recent.length).toBeLessThan((await jsonLogs(p, '-n', 'all')).length);
    const lastSecond = await jsonLogs(p, '--since', '1s');
    expect(lastSecond.length).toBeGreaterThan(0);
    expect(lastSecond.length).toBeLessThanOrEqual(25);
    const until = await jsonLogs(p, '--until', new Date(cut).toISOString());
    for (const l of until) expect(Date.parse(l.time)).toBeLessThanOrEqual(cut);
    const bad = await p.run(['logs', '--since', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since yesterday-ish: expected a duration back from now/);
  });

  it('logs -f -t prints new lines of both services in time order', async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  a: { command: node ${printEvery} a 40 0 }\n  b: { command: node ${printEvery} b 40 20 }\n`,
    );
    await p.ok(['up']);
    await liveSupervisor(p);
    const follow = p.start(['logs', '-f', '-t', '-n', '0']);
    let out = '';
    follow.stdout?.on('data', (d) => {
      out += String(d);
    });
    await waitFor(() => out.split('\n').length > 40, { timeout: 15_000, what: 'forty followed lines' });
    follow.kill('SIGINT');
    const lines = out.trim().split('\n');
    const times = lines.map((l) => Date.parse(l.split(' ')[2]!.replace('~', '')));
    expect(times.every((t) => !Number.isNaN(t))).toBe(true);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(new Set(lines.map((l) => l[0]))).toEqual(new Set(['a', 'b']));
  });

  it('the supervisor killed with -9 mid-stream blocks no service and loses no line; their times say they were unstamped', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  app: { command: node ${printEvery} app 10 0 }\n`);
    await p.ok(['up']);
    const sup = await liveSupervisor(p);
    await stampedLines(p, 20);
    const killedAt = Date.now();
    killSupervisor(p.stateDir);
    await waitFor(() => isGone(sup), { what: 'the supervisor gone' });
    const pid = p.record('app')!.pid;
    // The service goes on writing with no one stamping: 50 more lines, and it is alive.
    const count = async () => (await jsonLogs(p, '-n', 'all')).length;
    const before = await count();
    await waitFor(async () => (await count()) >= before + 50, { what: '50 lines written unstamped' });
    expect(isGone(pid)).toBe(false);
    // The next up brings a stamper back; it stamps what comes after it.
    await p.ok(['up']);
    const restartedAt = Date.now();
    await liveSupervisor(p);
    const after = (await jsonLogs(p, '-n', 'all')).length;
    await waitFor(
      async () => (await jsonLogs(p, '-n', 'all')).filter((l, i) => i > after && !l.approx).length >= 10,
      {
        what: 'stamped lines after the new supervisor',
      },
    );
    const lines = await jsonLogs(p, '-n', 'all');
    const numbers = lines.map((l) => Number(l.text.split(' ')[1]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1)); // every line, in order, none lost
    const gap = lines.filter((l) => l.approx && Number(l.text.split(' ')[1]) > before);
    expect(gap.length).toBeGreaterThanOrEqual(50);
    for (const l of gap) {
      expect(Date.parse(l.time)).toBeLessThanOrEqual(restartedAt + 1000);
      expect(Date.parse(l.after!)).toBeLessThanOrEqual(killedAt + 50);
      expect(l.stream).toBe('unknown');
    }
  });

  it('rotation carries the times along: --since reads the rotated files too, every line once, in order', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  app: { command: node ${printEvery} app 5 0, log: { max_size: 4KB, keep: 3 } }\n`);
    await p.ok(['up'], { UIPROCS_WATCH_INTERVAL_MS: '200' });
    await liveSupervisor(p);
    const log = join(p.stateDir, 'logs', 'app.log');
    await waitFor(() => existsSync(`${log}.2`) && existsSync(`${log}.2.times`), {
      timeout: 20_000,
      what: 'two rotations, each with its index',
    });
    const lines = await jsonLogs(p, '--since', '1h');
    const numbers = lines.map((l) => Number(l.text.split(' ')[1]));
    const times = lines.map((l) => Date.parse(l.time));
    const inversions = lines
      .filter((_l, i) => i > 0 && times[i]! < times[i - 1]!)
      .map((l) => [lines[lines.indexOf(l) - 1], l]);
    expect(inversions).toEqual([]);
    // In order and never twice; a rotation's copy-truncate may drop what was written in its
    // few microseconds (logs/rotate.ts), and the oldest file beyond keep is gone.
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]!);
    expect(lines.filter((l) => !l.approx).length).toBeGreaterThan(lines.length / 2);
  });
});
