import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PORTS_DIR_ENV } from '../helpers/port-registry.js';
import { freePort } from '../helpers/procs.js';

/** The tests' own port source: if it repeats a port, e2e manifests turn invalid at random. */
describe('test helper freePort', () => {
  it('never hands out one port twice, and claims each in the run-wide registry', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    const dir = process.env[PORTS_DIR_ENV];
    expect(dir, 'global setup did not reach the worker').toBeTruthy();
    for (const port of ports) expect(existsSync(join(dir!, String(port)))).toBe(true);
  });
});
