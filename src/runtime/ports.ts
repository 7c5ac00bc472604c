import { builtin } from '../core/builtin.js';
import type { PortOwner, System } from './system.js';

/** Who listens on a TCP port (IPv4 or IPv6): the name to put in a "port is taken" error. */
export function portOwners(system: System, port: number): PortOwner[] {
  return system.portOwners(port);
}

/**
 * A port the kernel considers free right now (listen on port 0, read it, close). Another
 * process may take it before the service binds; the caller's port check and the ready
 * probe catch that rare race.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = builtin('node:net').createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether a server could listen on `port` now. Binding the dual-stack wildcard `::`
 * conflicts with a listener on any IPv4 or IPv6 address (127.0.0.1, 0.0.0.0, ::1), which
 * is what a service binding the port would meet; without IPv6 it falls back to 0.0.0.0.
 */
export async function isPortFree(port: number): Promise<boolean> {
  const v6 = await tryListen(port, '::');
  if (v6 !== 'unsupported') return v6 === 'free';
  return (await tryListen(port, '0.0.0.0')) === 'free';
}

function tryListen(port: number, host: string): Promise<'free' | 'taken' | 'unsupported'> {
  return new Promise((resolve) => {
    const server = builtin('node:net').createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'EAFNOSUPPORT' || error.code === 'EADDRNOTAVAIL' ? 'unsupported' : 'taken');
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/** `port 8501 is held by pid 1234 (python -m http.server 8501)`, for start errors. */
export function describeOwners(port: number, owners: PortOwner[]): string {
  if (owners.length === 0)
    return `port ${port} is in use (owner unknown: another user's process or a container)`;
  const who = owners.map((o) => `pid ${o.pid} (${o.command})`).join(', ');
  return `port ${port} is held by ${who}`;
}
