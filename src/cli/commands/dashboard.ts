/**
 * `uiprocs dashboard [--port N] [--host ADDR] [--open]`: the project's page, in the
 * foreground until Ctrl-C or SIGTERM; the services keep running (the dashboard only ever
 * starts and stops them through the same converge as up/down/restart).
 *
 * It prints one line on stdout, the URL; with a non-loopback --host, the URL carries the
 * session token, the only way in for a browser there (dashboard/security.ts).
 */
import { isIP } from 'node:net';
import { fail, ok, type Result } from '../../core/model.js';
import { discoverManifest } from '../../manifest/discover.js';
import { getSystem } from '../../runtime/system.js';
import type { Context } from '../context.js';

export interface DashboardFlags {
  port?: string;
  host?: string;
  open?: boolean;
}

/** `--port`: 0 (a free port from the OS) to 65535, digits only. */
export function parsePort(value: string | undefined): Result<number> {
  if (value === undefined) return ok(0);
  const n = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 65535))
    return fail({
      reason: 'usage',
      message: `--port ${value}: expected a port number from 0 to 65535 (0: any free port)`,
    });
  return ok(n);
}

/** `--host`: an IP address or `localhost`; a name would resolve to who knows what. */
export function parseHost(value: string | undefined): Result<string> {
  if (value === undefined) return ok('127.0.0.1');
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (bare === 'localhost' || isIP(bare) !== 0) return ok(bare);
  return fail({
    reason: 'usage',
    message: `--host ${value}: expected an IP address of this machine (127.0.0.1, ::1, 0.0.0.0 …) or localhost`,
  });
}

export default async function dashboard(
  ctx: Context,
  _targets: string[],
  flags: DashboardFlags,
): Promise<Result<number>> {
  const port = parsePort(flags.port);
  if (!port.ok) return port;
  const host = parseHost(flags.host);
  if (!host.ok) return host;
  const found = await discoverManifest(ctx);
  if (!found.ok) return found;
  // No --port: the manifest's `dashboard: { port }`, the one the supervisor serves too.
  let chosen = port.value;
  let fromManifest = false;
  if (flags.port === undefined) {
    const { loadManifest } = await import('../../manifest/load.js');
    const loaded = await loadManifest({ file: ctx.file, cwd: ctx.cwd, env: ctx.env });
    if (loaded.ok && loaded.value.dashboard !== undefined) {
      chosen = loaded.value.dashboard.port;
      fromManifest = true;
    }
  }
  const { startDashboard } = await import('../../dashboard/server.js');
  const started = await startDashboard({
    input: ctx,
    manifestPath: found.value.path,
    host: host.value,
    port: chosen,
    system: getSystem(ctx.env),
    env: ctx.env,
    say: (line) => ctx.err(`${line}\n`),
  });
  if (!started.ok) {
    // The manifest's port is taken: most likely the supervisor already serves it.
    if (fromManifest && 'message' in started.error && started.error.message.endsWith('the port is in use'))
      return fail({
        reason: 'io',
        message: `${started.error.message}; while the project runs its supervisor serves the dashboard at http://127.0.0.1:${chosen}/ (\`uiprocs ps\` shows it); --port 0 starts another one`,
      });
    return started;
  }
  const board = started.value;
  ctx.out(`dashboard: ${board.url}\n`);
  if (flags.open) openInBrowser(board.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await board.close();
  return ok(0);
}

/** xdg-open (Linux) or open (macOS), detached; a missing one is no failure, the URL is printed. */
function openInBrowser(url: string): void {
  const { spawn } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener: the printed URL is enough
  }
}
