/**
 * The Makefile and the bundled demo, as the README's quick start promises them.
 *
 * The bundled ui-procs.yaml listens on fixed ports (8501–8503), which a test must never
 * take: the make targets are checked with `make -n` (the commands they would run), and the
 * demo itself runs for real from a temp copy whose ports are rewritten to free ones.
 */
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { type E2eProject, e2eProject, isGone, root } from './harness.js';

function makeDryRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Run as a top-level make even when the suite itself runs under `make test` (as CI does):
    // a sub-make prints "Entering directory" lines and inherits the parent's flags.
    const env = { ...process.env };
    for (const key of ['MAKELEVEL', 'MAKEFLAGS', 'MFLAGS', 'MAKEOVERRIDES']) delete env[key];
    const argv = ['--no-print-directory', '-n', ...args];
    execFile('make', argv, { cwd: root, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('make targets (make -n: what they would run)', () => {
  const cases: Array<[string[], string]> = [
    [['up', 'S=inference'], 'node bin/uiprocs.js up inference'],
    [['down-ui'], 'node bin/uiprocs.js down ui'],
    [['ps-ui'], 'node bin/uiprocs.js ps ui'],
    [['up-inference'], 'node bin/uiprocs.js up inference'],
    [['logs', 'S=ui'], 'node bin/uiprocs.js logs ui'],
    [['restart', 'S=evaluation_viewer'], 'node bin/uiprocs.js restart evaluation_viewer'],
  ];
  for (const [args, command] of cases) {
    it(`make ${args.join(' ')} → ${command}`, async () => {
      const r = await makeDryRun(args);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n').map((l) => l.trim());
      expect(lines).toContain(command);
      // The only other thing a target may do first is build (or install).
      const others = lines.filter((l) => l !== '' && l !== command);
      for (const l of others) expect(l).toMatch(/^(npm (ci|run build)|touch) /);
      // Pattern targets must not match source files by name (ps-% vs src/runtime/ps-system.ts).
      expect(r.stderr).not.toContain('Circular');
    });
  }

  it('make up with no S starts everything', async () => {
    const r = await makeDryRun(['up']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.trim())).toContain('node bin/uiprocs.js up');
  });
});

async function get(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe('the bundled demo, on free ports', () => {
  let project: E2eProject | undefined;
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
  });

  it('up: all three UIs answer 200 on / and /_stcore/health; down: all gone', async () => {
    const p = e2eProject();
    project = p;
    cpSync(join(root, 'examples/demo'), join(p.dir, 'examples/demo'), { recursive: true });
    const ports: number[] = [];
    let manifest = readFileSync(join(root, 'ui-procs.yaml'), 'utf8');
    const fixed = [...manifest.matchAll(/port: (850\d)\b/g)].map((m) => m[1]!);
    expect(fixed).toEqual(['8501', '8502', '8503']);
    for (const old of fixed) {
      const port = await freePort();
      ports.push(port);
      manifest = manifest.replace(`port: ${old}`, `port: ${port}`);
    }
    // The harness tags processes by project name: use the temp project's.
    manifest = manifest.replace(/^project: .*$/m, `project: ${p.project}`);
    writeFileSync(join(p.dir, 'ui-procs.yaml'), manifest);

    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    for (const port of ports) {
      expect(await get(`http://127.0.0.1:${port}/`), `port ${port} /`).toBe(200);
      expect(await get(`http://127.0.0.1:${port}/_stcore/health`), `port ${port} health`).toBe(200);
      expect(up.stderr).toContain(`http://127.0.0.1:${port}/`);
    }
    const pids = p.tagged();
    expect(pids).toHaveLength(3);

    const down = await p.run(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(p.tagged()).toEqual([]);
    for (const pid of pids) expect(isGone(pid)).toBe(true);
    for (const port of ports) expect(await get(`http://127.0.0.1:${port}/`)).toBe(0);
  });
});
