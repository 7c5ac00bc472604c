/**
 * `uiprocs ls` of 20 projects, each with one service running and one not (real processes,
 * one registry), from a folder of none of them, against `node -e 0`. Budget: Node's start +
 * 60 ms. `ls --all --json` reads the same: one look per project at its records.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  benchEnv,
  bin,
  cli,
  cpuTicks,
  freePort,
  median,
  ms,
  now,
  rssKb,
  runs,
  say,
  serve,
  timeCmd,
} from './lib.mjs';

/**
 * `dashboard --all` over the same projects: one `GET /api/projects` (what its page asks every
 * second while visible), and the dashboard's CPU and memory idle and while polled.
 */
async function dashboardAllCost(cwd, env, home, count) {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'dashboard', '--all', '--port', String(port)], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    await new Promise((resolve) =>
      child.stdout.on('data', (d) => String(d).includes('dashboard:') && resolve()),
    );
    const token = readFileSync(join(home, 'uiprocs', 'dashboard.token'), 'utf8').trim();
    const ask = async () => {
      const t = now();
      const res = await fetch(`http://127.0.0.1:${port}/api/projects`, {
        headers: { 'x-uiprocs-token': token },
      });
      await res.arrayBuffer();
      return now() - t;
    };
    await ask(); // the first loads each project's manifest
    const t0 = cpuTicks(child.pid);
    await new Promise((r) => setTimeout(r, 5000));
    const idle = (cpuTicks(child.pid) - t0) / 5; // ticks of 10 ms per second = % of a core
    const polled0 = cpuTicks(child.pid);
    const times = [];
    const started = now();
    for (let i = 0; i < 10; i++) {
      times.push(await ask());
      await new Promise((r) => setTimeout(r, 1000));
    }
    const polled = ((cpuTicks(child.pid) - polled0) * 10) / ((now() - started) / 100);
    say(
      `dashboard --all: GET /api/projects of ${count} projects ${ms(median(times))}; idle ${idle.toFixed(1)} % of a core, polled every second (a visible page) ${polled.toFixed(1)} %, RSS ${(rssKb(child.pid) / 1024).toFixed(1)} MiB`,
    );
  } finally {
    child.kill('SIGTERM');
  }
}

export async function lsCost(count = 20) {
  const root = mkdtempSync(join(tmpdir(), 'uiprocs-bench-ls-'));
  const home = join(root, 'state');
  const env = { XDG_STATE_HOME: home };
  const dirs = [];
  try {
    for (let i = 0; i < count; i++) {
      const dir = join(root, `p${i}`);
      mkdirSync(dir);
      writeFileSync(
        join(dir, 'ui-procs.yaml'),
        `version: 1\nproject: bench${i}\nservices:\n  web: { command: node ${serve}, port: auto }\n  api: { command: node ${serve}, port: auto }\n`,
      );
      cli(dir, ['up', 'web', '--no-supervise'], env);
      dirs.push(dir);
    }
    const nowhere = join(root, 'nowhere');
    mkdirSync(nowhere);
    const full = { ...benchEnv, ...env };
    const times = (args) =>
      median(Array.from({ length: runs * 2 }, () => timeCmd(process.execPath, args, nowhere, full)));
    const base = times(['-e', '0']);
    const ls = times([bin, 'ls']);
    const all = times([bin, 'ls', '--all', '--json']);
    say(
      `ls: ${count} projects ${ms(ls)} (+${ms(ls - base)}), --all --json ${ms(all)} (+${ms(all - base)}); node -e 0 ${ms(base)}; budget node + 60 ms`,
    );
    await dashboardAllCost(nowhere, full, home, count);
  } finally {
    for (const dir of dirs) cli(dir, ['down'], env);
    rmSync(root, { recursive: true, force: true });
  }
}
