/**
 * A TAB's cost: `uiprocs __complete -- …` as the shell scripts run it, for a command name
 * (no manifest read) and for `down <TAB>` (the names of a 50-service manifest, through its
 * cache, warm), against `node -e 0`. Budget: a TAB answers within 150 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, bin, cli, median, ms, runs, say, serve, timeCmd } from './lib.mjs';

export async function completionCost() {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-complete-'));
  const services = Array.from({ length: 50 }, (_, i) => `  s${i}: { command: node ${serve}, port: auto }`);
  writeFileSync(
    join(dir, 'ui-procs.yaml'),
    `version: 1\nproject: bench\nservices:\n${services.join('\n')}\n`,
  );
  const env = { ...benchEnv, XDG_CACHE_HOME: join(dir, '.cache') };
  try {
    cli(dir, ['validate']);
    const times = (args) =>
      median(Array.from({ length: runs * 2 }, () => timeCmd(process.execPath, args, dir, env)));
    const base = times(['-e', '0']);
    const command = times([bin, '__complete', '--', 'd']);
    const names = times([bin, '__complete', '--', 'down', '']);
    say(
      `completion: a command name ${ms(command)}, \`down <TAB>\` of 50 services ${ms(names)} (node -e 0 ${ms(base)}; budget 150 ms)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
