/**
 * `uiprocs dashboard [--port N] [--host ADDR] [--open]`: the project's page, in the
 * foreground until Ctrl-C or SIGTERM; the services keep running (the dashboard only ever
 * starts and stops them through the same converge as up/down/restart).
 *
 * It prints one line on stdout, the URL. The URL carries the project's session token
 * (`<state_dir>/dashboard.token`), the only way in (dashboard/security.ts). When the
 * supervisor already serves the manifest's `dashboard: { port }`, it prints (and with
 * --open, opens) that one instead of failing on the taken port.
 */
import { isIP } from 'node:net';
import type { Context } from '../../core/context.js';
import { fail, ok, type Result } from '../../core/model.js';
import { discoverManifest } from '../../manifest/discover.js';
import { getSystem } from '../../runtime/system.js';

export interface DashboardFlags {
  port?: string;
  host?: string;
  open?: boolean;
  all?: boolean;
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
  if (flags.all) return dashboardAll(ctx, host.value, port.value, flags.open === true);
  const found = await discoverManifest(ctx);
  if (!found.ok) return found;
  // No --port: the manifest's `dashboard: { port }`, the one the supervisor serves too.
  let chosen = port.value;
  let fromManifest = false;
  const { loadManifest } = await import('../../manifest/load.js');
  const loaded = await loadManifest(ctx);
  if (flags.port === undefined && loaded.ok && loaded.value.dashboard !== undefined) {
    chosen = loaded.value.dashboard.port;
    fromManifest = true;
  }
  const token = await projectToken(ctx, loaded.ok ? loaded.value.stateDir : undefined);
  const { startDashboard } = await import('../../dashboard/server.js');
  const started = await startDashboard({
    input: ctx,
    manifestPath: found.value.path,
    host: host.value,
    port: chosen,
    system: getSystem(ctx.env),
    env: ctx.env,
    say: (line) => ctx.err(`${line}\n`),
    token,
  });
  if (!started.ok) {
    // The manifest's port is taken: most likely the supervisor already serves it.
    if (fromManifest && started.error.reason === 'io' && started.error.busy) {
      const url = `http://127.0.0.1:${chosen}/?token=${token}`;
      if (token !== undefined && (await servedWith(chosen, token))) {
        ctx.out(`dashboard: ${url}\n`);
        ctx.err("the project's supervisor serves it; this command leaves it running\n");
        if (flags.open) openInBrowser(url);
        return ok(0);
      }
      return fail({
        reason: 'io',
        message: `${started.error.message}; while the project runs its supervisor serves the dashboard at http://127.0.0.1:${chosen}/ (\`uiprocs ps\` shows it); --port 0 starts another one`,
      });
    }
    // Any other taken port: say who holds it, as up's preflight does.
    if (started.error.reason === 'io' && started.error.busy) {
      const { describeOwners } = await import('../../runtime/ports.js');
      const owners = getSystem(ctx.env).portOwners(chosen);
      return fail({
        reason: 'io',
        message: `${started.error.message}: ${describeOwners(chosen, owners)}; --port 0 picks a free one`,
      });
    }
    return started;
  }
  return serveUntilSignal(ctx, started.value, flags.open === true);
}

/** `--all`: every project of the registry on one page (dashboard/all-server.ts); no manifest needed. */
async function dashboardAll(
  ctx: Context,
  host: string,
  port: number,
  open: boolean,
): Promise<Result<number>> {
  const { startAllDashboard } = await import('../../dashboard/all-server.js');
  const started = await startAllDashboard({
    host,
    port,
    system: getSystem(ctx.env),
    env: ctx.env,
    say: (line) => ctx.err(`${line}\n`),
  });
  if (!started.ok) return started;
  return serveUntilSignal(ctx, started.value, open);
}

/** Print the URL (the only way in), open it if asked, serve until Ctrl-C or SIGTERM. */
async function serveUntilSignal(
  ctx: Context,
  board: { url: string; close(): Promise<void> },
  open: boolean,
): Promise<Result<number>> {
  ctx.out(`dashboard: ${board.url}\n`);
  if (open) openInBrowser(board.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await board.close();
  return ok(0);
}

/**
 * The project's session token from its state dir (made there if missing), so this
 * dashboard and the supervisor's agree; undefined without a state dir (a broken manifest
 * and no records: a token of this run only).
 */
async function projectToken(ctx: Context, stateDir: string | undefined): Promise<string | undefined> {
  let dir = stateDir;
  if (dir === undefined) {
    const { recordsOnlyProject } = await import('../../engine/records-only.js');
    dir = (await recordsOnlyProject(ctx))?.stateDir;
  } else {
    const { ensureStateDir } = await import('../../state/paths.js');
    if (!ensureStateDir(dir).ok) dir = undefined;
  }
  if (dir === undefined) return undefined;
  const { tokenForUrl } = await import('../../state/dashboard-token.js');
  return tokenForUrl(dir);
}

/** Whether a dashboard on 127.0.0.1:port answers this token (it is this project's). */
function servedWith(port: number, token: string): Promise<boolean> {
  const { request } = process.getBuiltinModule('node:http') as typeof import('node:http');
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/session', headers: { 'x-uiprocs-token': token }, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
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
