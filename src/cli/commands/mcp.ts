import type { Context } from '../../core/context.js';
import { fail, ok, type Result } from '../../core/model.js';
import { parseDuration } from '../../manifest/duration.js';

/**
 * Long enough for an `up` that another command is finishing, short enough that the answer
 * (naming who holds the lock) comes before a client's own request timeout, 60 s in the SDK.
 */
const LOCK_TIMEOUT_MS = 20_000;

/**
 * `uiprocs mcp`: the project whose manifest is found from here (or `-f`), served over stdio
 * until the client closes it (mcp/server.ts). The manifest's place is fixed now; its content
 * is read again on every call, so an agent's edit counts from its next `up`. Without a
 * manifest to serve it fails at once (exit 2), before speaking the protocol; a broken one is
 * served, and its tools say what is wrong. `--all`: every project of the user, read-only
 * (mcp/all-tools.ts).
 */
export default async function mcp(
  ctx: Context,
  _targets: string[],
  opts: { lockTimeout?: string; all?: boolean },
): Promise<Result<number>> {
  const lockTimeoutMs = opts.lockTimeout === undefined ? LOCK_TIMEOUT_MS : parseDuration(opts.lockTimeout);
  if (lockTimeoutMs === undefined)
    return fail({
      reason: 'usage',
      message: `--lock-timeout ${opts.lockTimeout}: expected a duration like 500ms, 10s or 2m`,
    });
  if (opts.all) {
    // Every project, read-only: no manifest of its own, and nothing to lock.
    const [{ serveMcp }, { ALL_TOOLS }] = await Promise.all([
      import('../../mcp/server.js'),
      import('../../mcp/all-tools.js'),
    ]);
    await serveMcp(
      { input: { cwd: ctx.cwd, env: ctx.env, file: undefined }, lockTimeoutMs },
      undefined,
      ALL_TOOLS,
    );
    return ok(0);
  }
  const { discoverManifest } = await import('../../manifest/discover.js');
  const found = await discoverManifest({ file: ctx.file, cwd: ctx.cwd, env: ctx.env });
  if (!found.ok) return found;
  const { serveMcp } = await import('../../mcp/server.js');
  await serveMcp(
    {
      input: { cwd: ctx.cwd, env: ctx.env, file: found.value.path, overrides: ctx.overrides },
      lockTimeoutMs,
    },
    found.value.path,
  );
  return ok(0);
}
