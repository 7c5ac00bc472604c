/**
 * `uiprocs ls` of 20 projects, each with one service running and one not (real processes,
 * one registry), from a folder of none of them, against `node -e 0`. Budget: Node's start +
 * 60 ms. `ls --all --json` reads the same: one look per project at its records.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, bin, cli, median, ms, runs, say, serve, timeCmd } from './lib.mjs';

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
  } finally {
    for (const dir of dirs) cli(dir, ['down'], env);
    rmSync(root, { recursive: true, force: true });
  }
}
