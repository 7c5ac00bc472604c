/**
 * The event hub (dashboard/events.ts) over a real HTTP stream and a real log file: a line
 * printed while a page's stream is opening reaches that page. The page loads its tail when
 * it connects and then relies on the stream, so a line written before the log follower
 * fixed its position in the file would be in neither (CI lost one this way).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Desired, ServiceSpec } from '../../src/core/model.js';
import { ok } from '../../src/core/model.js';
import { createHub, type Hub } from '../../src/dashboard/events.js';
import type { PlanView } from '../../src/dashboard/plan-view.js';
import type { StatusRow } from '../../src/engine/status.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function serve(hub: Hub): Promise<Server> {
  const server = createServer((_req, res) => hub.add(res));
  cleanups.push(() => {
    hub.close();
    server.closeAllConnections();
    server.close();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Opens the stream and collects its events' names and data. */
function stream(server: Server): Promise<Array<{ event: string; data: unknown }>> {
  const seen: Array<{ event: string; data: unknown }> = [];
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: (server.address() as AddressInfo).port, agent: false },
      (res) => {
        let buf = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buf += chunk;
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) seen.push({ event, data: JSON.parse(data) });
          }
        });
        resolve(seen);
      },
    );
    req.on('error', reject).end();
    cleanups.push(() => req.destroy());
  });
}

it('a line printed while the stream opens is sent, not lost between the look and the log follower', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-events-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'web.log');
  writeFileSync(log, 'before\n');
  const desired = {
    project: 'p',
    projectDir: dir,
    manifestPath: join(dir, 'ui-procs.yaml'),
    stateDir: join(dir, '.uiprocs'),
    services: { web: { name: 'web', log: { path: log } } as unknown as ServiceSpec },
    groups: {},
  } satisfies Desired;
  let looks = 0;
  const hub = createHub({
    source: {
      manifestPath: desired.manifestPath,
      current: async () => ({ key: 'k', rows: ok(desired), strict: ok(desired) }),
    },
    // The service prints a line while the first look gathers its rows: what a busy
    // service does at the moment a page connects.
    rowsOf: async () => {
      if (looks++ === 0) appendFileSync(log, 'printed while the page connected\n');
      return [{ name: 'web', status: 'running', pid: 1 } as StatusRow];
    },
    planOf: async () => ({ ok: true }) as unknown as PlanView,
    intervalMs: 60_000,
    say: () => {},
  });
  const seen = await stream(await serve(hub));
  await waitFor(() => seen.some((e) => e.event === 'plan'), { what: 'the first look' });
  await waitFor(() => seen.find((e) => e.event === 'log'), {
    timeout: 3000,
    what: `the line as a log event (seen: ${seen.map((e) => e.event).join(', ')})`,
  });
  // With the time it was written (no stamper here: the moment the follower saw it) and its stream.
  expect(seen.filter((e) => e.event === 'log').map((e) => e.data)).toEqual([
    { service: 'web', line: 'printed while the page connected', time: expect.any(String), stream: 'unknown' },
  ]);
});
