/**
 * `GET /api/events`: server-sent events to every open page — `services` (the rows, at
 * connect and when they change), `plan` (at connect and when it changes), `log` (each new
 * line of a service's log) and a `: ping` comment every 15 s so proxies and browsers keep
 * the stream.
 *
 * Nothing here runs while no page is open: the first client starts one 1 s look (rows;
 * the plan again only when the manifest's files or some service's status or PID changed)
 * and the log followers (logs/follow.ts: a directory watch, so a line arrives within
 * milliseconds, with a 1 s poll as its safety net); the last client to leave stops them
 * all. Looks never overlap: a slow one delays the next instead of piling up.
 */
import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Desired } from '../core/model.js';
import type { StatusRow } from '../engine/status.js';
import { followLogs } from '../logs/follow.js';
import { MAX_QUEUED_BYTES } from './limits.js';
import type { PlanView } from './plan-view.js';
import type { ProjectSource, ProjectView } from './project-source.js';
import { pageLine } from './reads.js';

export interface HubDeps {
  source: ProjectSource;
  rowsOf: (desired: Desired) => Promise<StatusRow[]>;
  planOf: (view: ProjectView) => Promise<PlanView>;
  intervalMs?: number;
  pingMs?: number;
  /** A look that threw (a bug): said once per distinct message, and the looks go on. */
  say: (line: string) => void;
}

export interface Hub {
  /** Streams to `res` until the client leaves. */
  add(res: ServerResponse): void;
  /** Look now (after an action), rather than at the next tick. */
  poke(): void;
  clients(): number;
  close(): void;
}

/** Rows without what changes on its own every second (uptime): not a change to send. */
function rowsSignature(rows: readonly StatusRow[]): string {
  return JSON.stringify(rows.map(({ uptime_ms: _u, ...rest }) => rest));
}

function lifeSignature(rows: readonly StatusRow[]): string {
  return rows.map((r) => `${r.name}:${r.status}:${r.pid}`).join(',');
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createHub(deps: HubDeps): Hub {
  const intervalMs = deps.intervalMs ?? 1000;
  const clients = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;
  let again = false;
  let last: {
    rows?: StatusRow[];
    rowsSig?: string;
    lifeSig?: string;
    key?: string;
    plan?: PlanView;
    planSig?: string;
  } = {};
  let logs: { sig: string; stop: AbortController; ready: Promise<void> } | undefined;
  let lastError = '';

  /**
   * Writes to every stream; one whose unsent bytes passed MAX_QUEUED_BYTES (it stopped
   * reading) is dropped rather than buffered without end (limits.ts).
   */
  const send = (res: ServerResponse, text: string) => {
    if (res.writableLength > MAX_QUEUED_BYTES) {
      clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  };
  const broadcast = (text: string) => {
    for (const res of clients) send(res, text);
  };

  /**
   * (Re)starts following the logs of the manifest's services when that set changed;
   * resolves once every follower has fixed its position in its file. The first `services`
   * frame waits for that: a page loads its tail when it connects, and a line printed
   * between that and an unstarted follower would be lost (CI caught it once).
   */
  const followServices = (desired: Desired | undefined): Promise<void> => {
    const sources = desired
      ? Object.values(desired.services).map((s) => ({ name: s.name, path: s.log.path }))
      : [];
    const sig = JSON.stringify(sources);
    if (logs?.sig === sig) return logs.ready;
    logs?.stop.abort();
    const stop = new AbortController();
    // One signal ends every follower: one listener each, not a leak.
    setMaxListeners(sources.length + 10, stop.signal);
    const ready = sources.map(
      (source) =>
        new Promise<void>((started) => {
          void followLogs([source], {
            signal: stop.signal,
            tail: 0,
            prefix: false,
            color: false,
            pollMs: 1000,
            started,
            out: () => {},
            // Timed from the log's index (logs/timed-follow.ts): the page merges services by time.
            timed: { timestamps: false, json: false },
            onTimed: (lines) => {
              for (const l of lines) broadcast(frame('log', pageLine(l)));
            },
          }).finally(started);
        }),
    );
    logs = { sig, stop, ready: Promise.all(ready).then(() => undefined) };
    return logs.ready;
  };

  const lookOnce = async (): Promise<void> => {
    const view = await deps.source.current();
    const desired = view.rows.ok ? view.rows.value : undefined;
    if (clients.size > 0) await followServices(view.strict.ok ? view.strict.value : undefined);
    let rows = last.rows;
    if (desired) {
      rows = await deps.rowsOf(desired);
      const sig = rowsSignature(rows);
      if (sig !== last.rowsSig) broadcast(frame('services', rows));
      last.rows = rows;
      last.rowsSig = sig;
    }
    const life = rows ? lifeSignature(rows) : '';
    if (view.key !== last.key || life !== last.lifeSig || last.plan === undefined) {
      const plan = await deps.planOf(view);
      const sig = JSON.stringify(plan);
      if (sig !== last.planSig) broadcast(frame('plan', plan));
      last = { ...last, key: view.key, lifeSig: life, plan, planSig: sig };
    }
  };

  const look = (): Promise<void> => {
    if (looking) {
      again = true;
      return looking;
    }
    looking = (async () => {
      do {
        again = false;
        try {
          await lookOnce();
        } catch (error) {
          const text = `dashboard: a look at the project failed (a bug): ${(error as Error)?.stack ?? String(error)}`;
          if (text !== lastError) deps.say(text);
          lastError = text;
        }
      } while (again && clients.size > 0);
      looking = undefined;
    })();
    return looking;
  };

  const start = () => {
    timer = setInterval(() => void look(), intervalMs);
    ping = setInterval(() => broadcast(': ping\n\n'), deps.pingMs ?? 15_000);
  };

  const stop = () => {
    clearInterval(timer);
    clearInterval(ping);
    timer = undefined;
    ping = undefined;
    logs?.stop.abort();
    logs = undefined;
    // Whatever was seen is old by the next visit: the next client is told afresh.
    last = {};
  };

  return {
    add(res) {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 1000\n\n');
      const first = clients.size === 0;
      clients.add(res);
      res.on('close', () => {
        clients.delete(res);
        if (clients.size === 0) stop();
      });
      if (first) {
        start();
        void look();
        return;
      }
      // A later client gets what the others already have, then the changes.
      void (looking ?? Promise.resolve()).then(() => {
        if (!clients.has(res)) return;
        if (last.rows) send(res, frame('services', last.rows));
        if (last.plan) send(res, frame('plan', last.plan));
      });
    },
    poke() {
      if (clients.size > 0) void look();
    },
    clients: () => clients.size,
    close() {
      stop();
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
