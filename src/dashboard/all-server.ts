/**
 * `uiprocs dashboard --all`: one page for every project of this user (all-routes.ts names
 * the URLs). The list comes from the registry (state/registry.ts), read again on every
 * `GET /api/projects`, so a project `up` starts meanwhile appears and a pruned one goes.
 * Each project is that project's own dashboard app (project-app.ts) mounted at `/p/<id>/`:
 * its rows, logs, events, and its actions through its own converge and lock, exactly as
 * its single dashboard; nothing here decides for a project.
 *
 * Same security model as one project's dashboard (security.ts, through http.ts): a session
 * token kept in the registry dir (`dashboard.token`, 0600 inside the 0700 dir), Host and
 * Sec-Fetch-Site checks, POSTs with the token header. Apps are made when a project is first
 * listed or opened and closed with the server; an app's event hub runs only while a page
 * of that project is open.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ok, type Result } from '../core/model.js';
import { holderOf } from '../engine/project-list.js';
import type { StatusRow } from '../engine/status.js';
import type { System } from '../runtime/system.js';
import { tokenForUrl } from '../state/dashboard-token.js';
import { checkPrivateDir, makePrivateDir } from '../state/paths.js';
import { type RegistryEntry, readRegistry, registryRoot } from '../state/registry.js';
import { routeAll } from './all-routes.js';
import { listenGated, SECURITY_HEADERS, sendFile, sendJson, sendNoRoute } from './http.js';
import { createProjectApp, type ProjectApp } from './project-app.js';
import { tokenCookie } from './security.js';
import type { Dashboard } from './server.js';
import { defaultAssetsDir, staticFiles } from './static-files.js';

export interface AllDashboardOptions {
  host?: string;
  port: number;
  system: System;
  env: Record<string, string | undefined>;
  say: (line: string) => void;
  assetsDir?: string;
  intervalMs?: number;
}

/** One project in `GET /api/projects`: `ls --json`'s row, and its services as `ps --json`. */
export interface AllProject {
  id: string;
  name: string;
  folder: string;
  running: number;
  total: number;
  supervised: 'supervisor' | 'watch' | null;
  services: StatusRow[];
  /** The manifest cannot be used now (its located errors); the rows then come from the records. */
  error?: string;
}

/**
 * The system as one look at every project sees it: the listening-socket table read once for
 * them all (~2.6 ms a read, once per project before: 20 of 72 ms of a 20-project list).
 */
function oneLook(system: System): System {
  const look: System = Object.create(system);
  let ports: Set<number> | undefined | null = null;
  look.listeningPorts = () => {
    if (ports === null) ports = system.listeningPorts?.();
    return ports;
  };
  look.listeningAmong = (wanted) => {
    const all = look.listeningPorts?.();
    return all && new Set(wanted.filter((p) => all.has(p)));
  };
  return look;
}

export async function startAllDashboard(opts: AllDashboardOptions): Promise<Result<Dashboard>> {
  const host = opts.host ?? '127.0.0.1';
  const root = registryRoot(opts.env);
  const made = makePrivateDir(root);
  if (!made.ok) return made;
  const token = tokenForUrl(root);
  if (token === undefined)
    return { ok: false, error: { reason: 'io', message: `cannot keep the dashboard's token in ${root}` } };
  const files = staticFiles(opts.assetsDir ?? defaultAssetsDir());
  /** Apps by project id, made on first use; an entry's manifest moving makes a new one. */
  const apps = new Map<string, { app: ProjectApp; manifest: string }>();

  const appFor = (entry: RegistryEntry): ProjectApp => {
    const known = apps.get(entry.id);
    if (known !== undefined && known.manifest === entry.manifest) return known.app;
    known?.app.close();
    const app = createProjectApp({
      input: {
        cwd: entry.folder,
        env: opts.env,
        file: entry.manifest,
        ...(entry.overrides !== undefined ? { overrides: entry.overrides } : {}),
      },
      manifestPath: entry.manifest,
      system: opts.system,
      env: opts.env,
      say: opts.say,
      files,
      token,
      ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
    });
    apps.set(entry.id, { app, manifest: entry.manifest });
    return app;
  };

  const projects = async (): Promise<AllProject[]> => {
    const { entries } = readRegistry(opts.env);
    // A project pruned from the registry has no app any more.
    const live = new Set(entries.map((e) => e.id));
    for (const [id, { app }] of apps)
      if (!live.has(id)) {
        app.close();
        apps.delete(id);
      }
    const out: AllProject[] = [];
    const look = oneLook(opts.system);
    for (const entry of entries) {
      const { rows, error } = await appFor(entry).services(look);
      const running = rows.filter((r) => r.status === 'running' || r.status === 'starting').length;
      out.push({
        id: entry.id,
        name: entry.project,
        folder: entry.folder,
        running,
        total: rows.length,
        supervised: checkPrivateDir(entry.stateDir).ok ? holderOf(entry.stateDir, look, running > 0) : null,
        services: rows,
        ...(error !== undefined ? { error } : {}),
      });
    }
    return out;
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    passed: { url: string; setCookie: boolean; cookie: string },
  ): Promise<void> => {
    const method = req.method ?? 'GET';
    const routed = routeAll(method, passed.url);
    if (!routed.ok) return sendNoRoute(res, routed);
    const r = routed.route;
    switch (r.kind) {
      case 'projects':
        return sendJson(res, 200, await projects());
      case 'session':
        return sendJson(res, 200, { token });
      case 'redirect':
        res.writeHead(308, { ...SECURITY_HEADERS, Location: r.location, 'Content-Length': 0 });
        res.end();
        return;
      case 'project': {
        const entry = readRegistry(opts.env, { prune: false }).entries.find((e) => e.id === r.id);
        if (entry === undefined)
          return sendJson(res, 404, {
            ok: false,
            error: `no project ${r.id} in the registry (uiprocs ls --all)`,
          });
        return appFor(entry).handle(req, res, r.rest, { set: passed.setCookie, name: passed.cookie });
      }
      case 'page':
      case 'file': {
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        const file = files(r.kind === 'page' ? 'all.html' : r.name, gzip);
        if (file === undefined)
          return sendJson(res, 404, { ok: false, error: `no such file: ${r.kind === 'file' ? r.name : ''}` });
        return sendFile(res, file, passed.setCookie ? tokenCookie(token, passed.cookie) : undefined);
      }
    }
  };

  const served = await listenGated({
    host,
    port: opts.port,
    token,
    say: opts.say,
    handle,
    onClose: () => {
      for (const { app } of apps.values()) app.close();
      apps.clear();
    },
  });
  if (!served.ok) return served;
  const { port, base, close } = served.value;
  return ok({ url: `${base}?token=${token}`, port, token, close });
}
