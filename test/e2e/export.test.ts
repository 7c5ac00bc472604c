/**
 * The built CLI's `export`: the make fragment really drives uiprocs (serve → status →
 * stop against a real server on a free port, from another folder), and `--check` tells an
 * up-to-date export from a stale one by its exit code and the files it names.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { bin, type E2eProject, e2eProject, programs } from './harness.js';

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function make(cwd: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      'make',
      args,
      { cwd, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          out: stdout + stderr,
        });
      },
    );
  });
}

describe('export make', () => {
  it('serve-x, status-x and stop-x drive a real service from another folder', async () => {
    project = e2eProject();
    const p = project;
    const port = await freePort();
    p.write(
      `services:\n  x:\n    command: [node, ${join(programs, 'serve.mjs')}, "\${PORT}", 127.0.0.1]\n    port: ${port}\n    group: web\n`,
    );
    const exported = await p.run(['export', 'make', '-o', 'mk/uiprocs.mk']);
    expect(exported.code, exported.stderr).toBe(0);
    const fragment = join(p.dir, 'mk/uiprocs.mk');
    expect(readFileSync(fragment, 'utf8')).toContain('serve-web:');

    // Run from another folder: the fragment names the manifest with -f.
    const elsewhere = join(p.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const env = {
      UIPROCS: `${process.execPath} ${bin}`,
      XDG_CACHE_HOME: join(p.dir, '.cache'),
      NO_COLOR: '1',
      CI: 'true',
      UIPROCS_PLAIN: '1',
    };
    const serve = await make(elsewhere, ['-f', fragment, 'serve-x'], env);
    expect(serve.code, serve.out).toBe(0);
    expect(await portOpen(port)).toBe(true);
    const pid = p.record('x')?.pid;
    expect(pid).toBeGreaterThan(0);

    const status = await make(elsewhere, ['-f', fragment, 'status-x'], env);
    expect(status.code, status.out).toBe(0);
    expect(status.out).toMatch(/\bx\b.*running/);

    const stop = await make(elsewhere, ['-f', fragment, 'stop-x'], env);
    expect(stop.code, stop.out).toBe(0);
    await waitFor(async () => !(await portOpen(port)), { timeout: 10_000 });
    expect(p.tagged()).toEqual([]);
    expect(p.record('x')).toBeUndefined();

    // Not running any more: status says so with exit 1 (make reports the recipe's failure as 2).
    const after = await make(elsewhere, ['-f', fragment, 'status-x'], env);
    expect(after.code).not.toBe(0);
  });
});

describe('export --check', () => {
  it('exits 0 when the exported files are up to date and 1 naming them when not', async () => {
    project = e2eProject('checkproj');
    const p = project;
    const manifest = (port: number, extra = '') =>
      `services:\n  a:\n    command: serve --port \${PORT}\n    port: ${port}\n  b:\n    command: worker\n${extra}`;
    p.write(manifest(8601));

    await p.ok(['export', 'systemd', '-o', 'units']);
    expect(readdirSync(join(p.dir, 'units')).sort()).toEqual([
      'checkproj-a.service',
      'checkproj-b.service',
      'checkproj.target',
    ]);
    await p.ok(['export', 'compose', '-o', 'compose.yaml']);
    await p.ok(['export', 'make', '-o', 'uiprocs.mk']);

    for (const args of [
      ['export', 'systemd', '-o', 'units', '--check'],
      ['export', 'compose', '-o', 'compose.yaml', '--check'],
      ['export', 'make', '-o', 'uiprocs.mk', '--check'],
    ]) {
      const r = await p.run(args);
      expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toBe('');
    }

    // A user's own unit in the folder is none of export's business.
    writeFileSync(join(p.dir, 'units', 'checkproj-mine.service'), '[Service]\nExecStart=/bin/true\n');
    await p.ok(['export', 'systemd', '-o', 'units', '--check']);

    // The port changes (a) and b leaves the manifest: a differs, b is obsolete.
    p.write(`services:\n  a:\n    command: serve --port \${PORT}\n    port: 8602\n`);
    const stale = await p.run(['export', 'systemd', '-o', 'units', '--check']);
    expect(stale.code).toBe(1);
    expect(stale.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'units/checkproj-a.service: differs',
      'units/checkproj-b.service: obsolete',
      'units/checkproj.target: differs',
    ]);
    const compose = await p.run(['export', 'compose', '-o', 'compose.yaml', '--check']);
    expect(compose.code).toBe(1);
    expect(compose.stdout).toBe('compose.yaml: differs\n');
    expect((await p.run(['export', 'make', '-o', 'uiprocs.mk', '--check'])).code).toBe(1);
    expect((await p.run(['export', 'make', '-o', 'missing.mk', '--check'])).stdout).toBe(
      'missing.mk: missing\n',
    );

    // --check wrote nothing; exporting again brings it up to date and removes b's unit only.
    expect(readFileSync(join(p.dir, 'units/checkproj-a.service'), 'utf8')).toContain('PORT=8601');
    await p.ok(['export', 'systemd', '-o', 'units']);
    expect(readdirSync(join(p.dir, 'units')).sort()).toEqual([
      'checkproj-a.service',
      'checkproj-mine.service',
      'checkproj.target',
    ]);
    await p.ok(['export', 'systemd', '-o', 'units', '--check']);
  });

  it('is a usage error without a file to compare for compose and make, or with an unknown format', async () => {
    project = e2eProject();
    const p = project;
    p.write('services:\n  a:\n    command: worker\n');
    const r = await p.run(['export', 'compose', '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-o FILE/);
    expect((await p.run(['export', 'kubernetes'])).code).toBe(2);
    expect((await p.run(['export', 'make', '--user'])).code).toBe(2);
    const out = await p.run(['export', 'make']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('serve-a:');
  });
});
