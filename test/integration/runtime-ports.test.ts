import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinuxSystem } from '../../src/runtime/linux-system.js';
import { describeOwners, freePort, isPortFree, portOwners } from '../../src/runtime/ports.js';
import { program } from '../helpers/temp-project.js';
import { waitFor } from '../helpers/wait.js';

const system = createLinuxSystem();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function serve(port: number, host?: string): ChildProcess {
  const child = spawn(process.execPath, [program('serve.mjs'), String(port), ...(host ? [host] : [])], {
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

describe('ports', () => {
  it('freePort returns a bindable port from the kernel', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    expect(await isPortFree(port)).toBe(true);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['::1', '::1'],
    ['all addresses', undefined],
  ])('names the owner of a listener on %s and sees the port taken', async (_label, host) => {
    const port = await freePort();
    const child = serve(port, host);
    const owners = await waitFor(() => {
      const found = portOwners(system, port);
      return found.length > 0 ? found : undefined;
    });
    expect(owners.map((o) => o.pid)).toEqual([child.pid]);
    expect(owners[0]!.command).toBe(
      `${process.execPath} ${program('serve.mjs')} ${port}${host ? ` ${host}` : ''}`,
    );
    expect(await isPortFree(port)).toBe(false);
    expect(describeOwners(port, owners)).toBe(
      `port ${port} is held by pid ${child.pid} (${owners[0]!.command})`,
    );
  });

  it('finds no owner for a free port', async () => {
    const port = await freePort();
    expect(portOwners(system, port)).toEqual([]);
  });
});
