/**
 * The hidden command `uiprocs __supervise --state-dir <dir>`: not in the help, run only by
 * engine/spawn-supervisor.ts. It stays until the supervisor has nothing left to do.
 */

import type { Context } from '../core/context.js';
import { ok, type Result } from '../core/model.js';
import { runSupervisor } from './main.js';

export default async function supervise(
  ctx: Context,
  _targets: string[],
  opts: { stateDir?: string },
): Promise<Result<number>> {
  if (!opts.stateDir)
    return { ok: false, error: { reason: 'usage', message: '__supervise needs --state-dir' } };
  const code = await runSupervisor({ stateDir: opts.stateDir, env: ctx.env });
  // Timers of an abandoned restart may still be pending: the supervisor is done.
  process.exit(code);
  return ok(code);
}
