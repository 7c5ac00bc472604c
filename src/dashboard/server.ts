/**
 * The dashboard's HTTP server (node:http, no framework: six routes and a static folder),
 * after tilt's HUD server: the page, a small JSON API, and server-sent events.
 *
 * `startDashboard` is a function, not a command, so the same server can run in the
 * foreground (`uiprocs dashboard`) or inside another long-lived process (the supervisor).
 * Each request passes security.ts first (http.ts listenGated), then the project's app
 * (project-app.ts) routes it; handlers answer with values, and the only exception caught is
 * a bug (500, said on `say`, never its stack to the client). GET never changes anything;
 * every change is a POST through actions.ts. `dashboard --all` is all-server.ts.
 */
import { ok, type Result } from '../core/model.js';
import type { ProjectInput } from '../engine/project.js';
import type { System } from '../runtime/system.js';
import { newToken } from '../state/dashboard-token.js';
import { listenGated } from './http.js';
import { createProjectApp } from './project-app.js';
import type { ProjectSource } from './project-source.js';
import { defaultAssetsDir, staticFiles } from './static-files.js';

export interface DashboardOptions {
  /** Where the manifest is found (as the CLI's -f, cwd and environment say). */
  input: ProjectInput;
  /** The manifest file, already found (absolute). */
  manifestPath: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0: a free port from the OS. */
  port: number;
  system: System;
  env: Record<string, string | undefined>;
  /** Lines for the operator (a bug met while serving). */
  say: (line: string) => void;
  /** Default: the package's assets/dashboard. */
  assetsDir?: string;
  /** Default 1000 (tests and the bench keep it). */
  intervalMs?: number;
  /**
   * Where rows and plan come from; default: the manifest at `manifestPath`, loaded again
   * when it changes. A supervisor serving the page can hand in its own.
   */
  source?: ProjectSource;
  /**
   * The project's session token (state/dashboard-token.ts), so the URL `up`/`ps` print and
   * the token file open this dashboard; default: a token of this run only.
   */
  token?: string;
}

export interface Dashboard {
  /** What to open: it carries `?token=`, the only way in for a browser. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export async function startDashboard(opts: DashboardOptions): Promise<Result<Dashboard>> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const app = createProjectApp({
    input: opts.input,
    manifestPath: opts.manifestPath,
    system: opts.system,
    env: opts.env,
    say: opts.say,
    files: staticFiles(opts.assetsDir ?? defaultAssetsDir()),
    token,
    ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
    ...(opts.source !== undefined ? { source: opts.source } : {}),
  });
  const served = await listenGated({
    host,
    port: opts.port,
    token,
    say: opts.say,
    handle: (req, res, passed) =>
      app.handle(req, res, passed.url, { set: passed.setCookie, name: passed.cookie }),
    onClose: () => app.close(),
  });
  if (!served.ok) {
    app.close();
    return served;
  }
  const { port, base, close } = served.value;
  return ok({ url: `${base}?token=${token}`, port, token, close });
}
