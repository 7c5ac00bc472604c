/**
 * One health attempt against real sockets and a real command, and the words it reports:
 * they are what a restart cause says (`unhealthy: GET /health → 500 (3 in a row)`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTO_PORT_TOKEN } from '../../src/core/model.js';
import { healthAttempt } from '../../src/probes/health-attempt.js';
import { freePort } from '../helpers/procs.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** An HTTP server on a free loopback port answering `status`, or never when `hang`. */
async function serve(status: number, hang = false): Promise<number> {
  const server = createServer((_req, res) => {
    if (hang) return;
    res.statusCode = status;
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const base = { cwd: process.cwd(), env: process.env };

describe('health attempt', () => {
  it('http: 200 passes; 500 is reported with the target as written', async () => {
    const ok = await serve(200);
    expect(
      await healthAttempt({ ...base, check: { kind: 'http', target: '/health' }, port: ok }, 1000),
    ).toEqual({ ok: true });
    const bad = await serve(500);
    expect(
      await healthAttempt({ ...base, check: { kind: 'http', target: '/health' }, port: bad }, 1000),
    ).toEqual({ ok: false, detail: 'GET /health → 500' });
    // A port: auto target carries the placeholder until the record's port is known.
    expect(
      await healthAttempt(
        { ...base, check: { kind: 'http', target: `http://127.0.0.1:${AUTO_PORT_TOKEN}/x` }, port: bad },
        1000,
      ),
    ).toEqual({ ok: false, detail: `GET http://127.0.0.1:${bad}/x → 500` });
  });

  it('http: a server that does not answer fails within the timeout', async () => {
    const port = await serve(200, true);
    const t = performance.now();
    const a = await healthAttempt({ ...base, check: { kind: 'http', target: '/health' }, port }, 300);
    expect(a).toEqual({ ok: false, detail: 'GET /health timed out after 300 ms' });
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('tcp: a listening port passes; a closed one is "refused"', async () => {
    const open = await serve(200);
    expect(await healthAttempt({ ...base, check: { kind: 'tcp' }, port: open }, 1000)).toEqual({ ok: true });
    const closed = await freePort();
    expect(await healthAttempt({ ...base, check: { kind: 'tcp' }, port: closed }, 1000)).toEqual({
      ok: false,
      detail: `port ${closed} refused`,
    });
  });

  it('command: exit 0 passes; another exit is reported with the command', async () => {
    expect(
      await healthAttempt({ ...base, check: { kind: 'command', command: 'true' }, port: null }, 2000),
    ).toEqual({ ok: true });
    expect(
      await healthAttempt(
        { ...base, check: { kind: 'command', command: ['sh', '-c', 'exit 3'] }, port: null },
        2000,
      ),
    ).toEqual({ ok: false, detail: 'sh -c exit 3 exited 3' });
    expect(
      await healthAttempt(
        { ...base, check: { kind: 'command', command: 'test -e /nonexistent-file || exit 1' }, port: null },
        2000,
      ),
    ).toMatchObject({ ok: false, detail: 'test -e /nonexistent-file || exit 1 exited 1' });
  });
});

describe('a probe attempt says why it failed as a value (refused | timeout | status | exit)', () => {
  it('refused, status, timeout and exit, from real sockets and a real command', async () => {
    const { commandAttempt, httpAttempt, httpUrls, tcpAttempt } = await import('../../src/probes/checks.js');
    const closed = await freePort();
    const refused = await tcpAttempt(closed, 500);
    expect(refused.ok ? undefined : refused.failure).toEqual({ kind: 'refused' });

    const failing = await serve(503);
    const status = await httpAttempt(httpUrls('/health', failing)!, 1000);
    expect(status.ok ? undefined : status.failure).toEqual({ kind: 'status', status: 503 });

    const hung = await serve(200, true);
    const timeout = await httpAttempt(httpUrls('/health', hung)!, 200);
    expect(timeout.ok ? undefined : timeout.failure).toEqual({ kind: 'timeout' });

    const exit = await commandAttempt('exit 3', process.cwd(), process.env, 5000);
    expect(exit.ok ? undefined : exit.failure).toEqual({ kind: 'exit', code: 3, signal: null });

    const passing = await serve(200);
    expect((await httpAttempt(httpUrls('/health', passing)!, 1000)).ok).toBe(true);
  });
});
