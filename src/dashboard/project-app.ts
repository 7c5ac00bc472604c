/**
 * One project's dashboard behind the gate: the page and its files, the JSON API, the event
 * stream and the actions (routes.ts names each request). `uiprocs dashboard` serves one at
 * `/` (server.ts); `dashboard --all` serves one per registered project at `/p/<id>/`
 * (all-server.ts), made when first asked for. The page's URLs are relative, so it works at
 * either place.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';
import { version } from '../core/version.js';
import type { ProjectInput } from '../engine/project.js';
import { gatherPsRows } from '../engine/ps-rows.js';
import type { StatusRow } from '../engine/status.js';
import type { System } from '../runtime/system.js';
import { runAction } from './actions.js';
import { createHub } from './events.js';
import { sendFile, sendJson, sendNoRoute } from './http.js';
import { MAX_STREAMS } from './limits.js';
import { liveRows } from './live-rows.js';
import { planView } from './plan-view.js';
import { type ProjectSource, projectSource } from './project-source.js';
import { logLines, projectInfo } from './reads.js';
import { route } from './routes.js';
import { tokenCookie } from './security.js';
import type { StaticFile } from './static-files.js';

export interface ProjectAppOptions {
  /** Where the manifest is found (as the CLI's -f, cwd and environment say). */
  input: ProjectInput;
  /** The manifest file, already found (absolute). */
  manifestPath: string;
  system: System;
  env: Record<string, string | undefined>;
  say: (line: string) => void;
  files: (name: string, acceptsGzip: boolean) => StaticFile | undefined;
  /** The session token the page echoes in its POSTs (`GET api/session`). */
  token: string;
  intervalMs?: number;
  source?: ProjectSource;
}

export interface ProjectApp {
  /** A request that passed the gate; `url` is relative to where the app is mounted (`/api/…`). */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    cookie: { set: boolean; name: string },
  ): Promise<void>;
  /**
   * The rows for `dashboard --all`'s list (those of `GET api/services` without CPU and
   * memory), looked at through `system` (one look's shared socket table), or why there are none.
   */
  services(system: System): Promise<{ rows: StatusRow[]; error?: string }>;
  close(): void;
}

export function createProjectApp(opts: ProjectAppOptions): ProjectApp {
  const { token, files } = opts;
  const source = opts.source ?? projectSource(opts.input, opts.manifestPath);
  const rowsOf = async (desired: Parameters<typeof gatherPsRows>[0]) =>
    // It looks every second: the first answer does not wait for a second CPU sample.
    (await gatherPsRows(desired, [], opts.system, opts.env, { waitForCpu: false })).rows;
  const runtime = { system: opts.system, env: opts.env, cwd: opts.input.cwd };
  const hub = createHub({
    source,
    rowsOf: liveRows(opts.system, rowsOf),
    planOf: (view) => planView(view.strict, runtime),
    intervalMs: opts.intervalMs,
    say: opts.say,
  });

  const handle: ProjectApp['handle'] = async (req, res, url, cookie) => {
    const method = req.method ?? 'GET';
    const routed = route(method, url);
    if (!routed.ok) return sendNoRoute(res, routed);
    const r = routed.route;
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    switch (r.kind) {
      case 'page':
      case 'file': {
        const file = files(r.kind === 'page' ? 'index.html' : r.name, gzip);
        if (file === undefined)
          return sendJson(res, 404, { ok: false, error: `no such file: ${url.split('?')[0]}` });
        return sendFile(res, file, cookie.set ? tokenCookie(token, cookie.name) : undefined);
      }
      case 'events':
        if (hub.clients() >= MAX_STREAMS)
          return sendJson(
            res,
            503,
            { ok: false, error: `${MAX_STREAMS} event streams are open already; close a page and retry` },
            { 'Retry-After': '5', Connection: 'close' },
          );
        hub.add(res);
        return;
      case 'session':
        // Only the owner's page gets here (it has the cookie): it echoes the token in its POSTs.
        return sendJson(res, 200, { token });
      case 'action': {
        const answer = await runAction(opts.input, r.verb, r.target === undefined ? [] : [r.target]);
        hub.poke();
        return sendJson(res, answer.status, answer.body);
      }
      default:
        break;
    }
    const view = await source.current();
    if (r.kind === 'plan') return sendJson(res, 200, await planView(view.strict, runtime));
    // A manifest that cannot be used and no records: nothing runs, which is an answer; the
    // plan shows the located errors (once: not again as an error of every read).
    if (!view.rows.ok && view.rows.error.reason === 'manifest-invalid') {
      if (r.kind === 'services') return sendJson(res, 200, []);
      if (r.kind === 'project')
        return sendJson(res, 200, {
          project: basename(dirname(source.manifestPath)),
          manifest: source.manifestPath,
          state_dir: null,
          groups: {},
          services: [],
          supervisor: null,
          version: version(),
        });
    }
    if (!view.rows.ok) {
      const { formatFailure } = await import('../ui/failure.js');
      return sendJson(res, 409, {
        ok: false,
        error: formatFailure(view.rows.error, { color: false, cwd: opts.input.cwd }).trimEnd(),
      });
    }
    const desired = view.rows.value;
    if (r.kind === 'services') return sendJson(res, 200, await rowsOf(desired));
    if (r.kind === 'project') return sendJson(res, 200, projectInfo(desired, opts.system));
    const logs = await logLines(desired, r.service, r.lines);
    return logs.ok
      ? sendJson(res, 200, logs.body)
      : sendJson(res, logs.status, { ok: false, error: logs.error });
  };

  const services: ProjectApp['services'] = async (system) => {
    const view = await source.current();
    if (view.rows.ok)
      return {
        rows: (await gatherPsRows(view.rows.value, [], system, opts.env, { waitForCpu: false, usage: false }))
          .rows,
      };
    const { formatFailure } = await import('../ui/failure.js');
    return {
      rows: [],
      error: formatFailure(view.rows.error, { color: false, cwd: opts.input.cwd }).trimEnd(),
    };
  };

  return { handle, services, close: () => hub.close() };
}
