/**
 * The built CLI's `export`: the make fragment really drives uiprocs (serve → status →
 * stop against a real server on a free port, from another folder), `--check` tells an
 * up-to-date export from a stale one by its exit code and the files it names, and an
 * export holds where it lands: in a copy of the project elsewhere (a CI runner, a
 * colleague's clone), on a machine whose PATH differs, and a systemd unit runs the very
 * file `uiprocs up` ran.
 */
import { execFile, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectId } from '../../src/core/identity.js';
import { freePort, pidsTagged } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { bin, type E2eProject, e2eProject, programs } from './harness.js';

let project: E2eProject | undefined;
/** Folders a test made beside its project, and the project ids whose processes may run there. */
const extraDirs: string[] = [];
const extraIds: string[] = [];
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
  for (const id of extraIds.splice(0)) {
    await waitFor(
      () => {
        for (const pid of pidsTagged(id)) process.kill(pid, 'SIGKILL');
        return pidsTagged(id).length === 0;
      },
      { timeout: 10_000, what: `processes of ${id} to be gone` },
    );
  }
  for (const dir of extraDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-e2e-elsewhere-'));
  extraDirs.push(dir);
  return dir;
}

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

  it('kubernetes: -o FILE writes one multi-document file; --check exits 0 when current, 1 naming it when not', async () => {
    project = e2eProject('kubeproj');
    const p = project;
    const manifest = (port: number) =>
      `services:\n  web_ui:\n    command: serve --port \${PORT}\n    port: ${port}\n    group: ui\n`;
    p.write(manifest(8601));
    const args = [
      'export',
      'kubernetes',
      '-o',
      'k8s/app.yaml',
      '--namespace',
      'team',
      '--ingress',
      'example.org',
    ];
    const wrote = await p.ok(args);
    expect(wrote.stderr).toBe('wrote k8s/app.yaml\n');
    const text = readFileSync(join(p.dir, 'k8s/app.yaml'), 'utf8');
    expect(text.startsWith('# Generated by uiprocs export kubernetes from ui-procs.yaml')).toBe(true);
    expect(text.match(/^kind: \w+$/gm)).toEqual(['kind: Deployment', 'kind: Service', 'kind: Ingress']);
    expect(text).toContain('host: web-ui.example.org');
    // Printed without -o: the same bytes.
    expect((await p.ok(args.filter((a) => a !== '-o' && a !== 'k8s/app.yaml'))).stdout).toBe(text);

    const current = await p.run([...args, '--check']);
    expect(current.code, current.stdout + current.stderr).toBe(0);
    expect(current.stdout).toBe('');
    // Another namespace is another file.
    const otherNs = await p.run([
      ...args.slice(0, 4),
      '--namespace',
      'other',
      '--ingress',
      'example.org',
      '--check',
    ]);
    expect(otherNs.code).toBe(1);
    expect(otherNs.stdout).toBe('k8s/app.yaml: differs\n');

    p.write(manifest(8602));
    const stale = await p.run([...args, '--check']);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe('k8s/app.yaml: differs\n');
    expect(stale.stderr).toMatch(/1 exported file is out of date; export again/);
    expect(readFileSync(join(p.dir, 'k8s/app.yaml'), 'utf8')).toBe(text);
    const missing = await p.run(['export', 'kubernetes', '-o', 'nowhere.yaml', '--check']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('nowhere.yaml: missing\n');
    await p.ok(args);
    await p.ok([...args, '--check']);

    // Its options are its own, and are checked before anything is written.
    for (const [bad, message] of [
      [['export', 'kubernetes', '--check'], /-o FILE/],
      [['export', 'compose', '--namespace', 'team'], /--namespace applies to kubernetes only/],
      [['export', 'kubernetes', '--namespace', 'Team_A'], /not a namespace name/],
      [['export', 'kubernetes', '--ingress', 'https://example.org'], /not a host name/],
    ] as const) {
      const r = await p.run([...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('is a usage error without a file to compare for compose and make, or with an unknown format', async () => {
    project = e2eProject();
    const p = project;
    p.write('services:\n  a:\n    command: worker\n');
    const r = await p.run(['export', 'compose', '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-o FILE/);
    expect((await p.run(['export', 'helm'])).code).toBe(2);
    expect((await p.run(['export', 'make', '--user'])).code).toBe(2);
    // systemd needs an absolute path for where the project lives; the others are relative already.
    const relativeDir = await p.run(['export', 'systemd', '--project-dir', 'srv/app']);
    expect(relativeDir.code).toBe(2);
    expect(relativeDir.stderr).toMatch(/--project-dir must be an absolute path .*"srv\/app"/);
    expect((await p.run(['export', 'compose', '--project-dir', '/srv/app'])).code).toBe(2);
    expect(readdirSync(p.dir)).not.toContain('systemd');
    const out = await p.run(['export', 'make']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('serve-a:');
  });
});

/** The environment the harness gives the CLI, for make's recipes. */
function cliEnv(p: E2eProject): Record<string, string> {
  return {
    UIPROCS: `${process.execPath} ${bin}`,
    XDG_CACHE_HOME: join(p.dir, '.cache'),
    NO_COLOR: '1',
    CI: 'true',
    UIPROCS_PLAIN: '1',
  };
}

describe('an export holds where it lands', () => {
  it('a copy of the project elsewhere passes --check, and its make fragment drives the copy', async () => {
    project = e2eProject('moved');
    const p = project;
    const port = await freePort();
    mkdirSync(join(p.dir, 'app'));
    cpSync(join(programs, 'serve.mjs'), join(p.dir, 'app/serve.mjs'));
    p.write(
      `services:
  x:
    command: [node, serve.mjs, "\${PORT}", 127.0.0.1]
    cwd: app
    port: ${port}
    log: logs/x.log
    env: { DATA: "\${PROJECT_DIR}/data" }
`,
    );
    const exports = [
      ['export', 'systemd', '-o', 'deploy/units', '--project-dir', '/srv/moved'],
      ['export', 'compose', '-o', 'deploy/compose.yaml'],
      ['export', 'make', '-o', 'mk/uiprocs.mk'],
    ];
    for (const args of exports) await p.ok(args);
    const unit = readFileSync(join(p.dir, 'deploy/units/moved-x.service'), 'utf8');
    expect(unit).toContain('WorkingDirectory=/srv/moved/app\n');
    expect(unit).toContain('StandardOutput=append:/srv/moved/logs/x.log\n');
    expect(unit).toContain('Environment="DATA=/srv/moved/data"\n');
    for (const f of ['deploy/units/moved-x.service', 'deploy/compose.yaml', 'mk/uiprocs.mk']) {
      expect(readFileSync(join(p.dir, f), 'utf8'), f).not.toContain(p.dir);
    }

    // A clone elsewhere: the same files, another folder (and no state, no cache).
    const copy = join(tempDir(), 'clone');
    cpSync(p.dir, copy, { recursive: true, filter: (src) => !/[/]\.(cache|uiprocs)$/.test(src) });
    for (const args of exports) {
      const there = await runIn(copy, [...args, '--check'], cliEnv(p));
      expect(there.code, `${args.join(' ')} --check in the copy\n${there.out}`).toBe(0);
    }

    // The copy's fragment, read by a relative path from a folder inside the copy, runs the
    // copy's manifest: the server is the copy's, its record in the copy's state dir.
    extraIds.push(projectId('moved', join(copy, '.uiprocs')));
    const sub = join(copy, 'sub');
    mkdirSync(sub);
    const serve = await make(sub, ['-f', '../mk/uiprocs.mk', 'serve-x'], cliEnv(p));
    expect(serve.code, serve.out).toBe(0);
    expect(await portOpen(port)).toBe(true);
    const record = JSON.parse(readFileSync(join(copy, '.uiprocs/run/x.json'), 'utf8')) as { cwd: string };
    expect(record.cwd).toBe(join(copy, 'app'));
    expect(p.record('x')).toBeUndefined();
    const stop = await make(sub, ['-f', '../mk/uiprocs.mk', 'stop-x'], cliEnv(p));
    expect(stop.code, stop.out).toBe(0);
    await waitFor(async () => !(await portOpen(port)), { timeout: 10_000, what: 'the port to close' });
  });

  it('a unit runs the file uiprocs up ran, and --check on a machine with another PATH still passes', async () => {
    project = e2eProject('pathed');
    const p = project;
    // Two programs of one name: the user's (first on their PATH) and the system's.
    const machine = tempDir();
    for (const where of ['user-bin', 'system-bin']) {
      mkdirSync(join(machine, where));
      const tool = join(machine, where, 'uitool');
      writeFileSync(
        tool,
        `#!/bin/sh\necho "uitool from ${where}"\n[ "$ONCE" = 1 ] && exit 0\nexec sleep 600\n`,
      );
      chmodSync(tool, 0o755);
    }
    const systemPath = `${join(machine, 'system-bin')}:${dirname(process.execPath)}:/usr/bin:/bin`;
    const userPath = `${join(machine, 'user-bin')}:${systemPath}`;
    p.write('services:\n  tool:\n    command: uitool --serve\n');

    // What uiprocs up runs, with the user's PATH.
    await p.ok(['up'], { PATH: userPath });
    const log = join(p.stateDir, 'logs/tool.log');
    await waitFor(() => readFileSync(log, 'utf8').includes('uitool from'), {
      what: 'the tool to say who it is',
    });
    expect(readFileSync(log, 'utf8')).toBe('uitool from user-bin\n');
    await p.ok(['down'], { PATH: userPath });

    await p.ok(['export', 'systemd', '-o', 'units'], { PATH: userPath });
    const unit = readFileSync(join(p.dir, 'units/pathed-tool.service'), 'utf8');
    const userTool = join(machine, 'user-bin/uitool');
    expect(unit).toContain(
      `# executable "uitool" = "${userTool}": found on the PATH uiprocs up uses (at export)\n`,
    );
    const execStart = /^ExecStart=\/bin\/sh -c "(.*)"$/m.exec(unit)?.[1];
    expect(execStart).toBe(`exec ${userTool} --serve`);
    // Run as systemd would, with a PATH where the name means the system's program.
    const ran = spawnSync('/bin/sh', ['-c', execStart!], {
      env: { PATH: systemPath, ONCE: '1' },
      encoding: 'utf8',
    });
    expect(ran.stdout).toBe('uitool from user-bin\n');

    // A CI runner has only the system's uitool (or none): the recorded file is kept.
    for (const path of [systemPath, '/usr/bin:/bin']) {
      const r = await p.run(['export', 'systemd', '-o', 'units', '--check'], {
        PATH: `${dirname(process.execPath)}:${path}`,
      });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    // …but an edit of the command is still an edit.
    p.write('services:\n  tool:\n    command: uitool --serve --verbose\n');
    const stale = await p.run(['export', 'systemd', '-o', 'units', '--check'], { PATH: systemPath });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe('units/pathed-tool.service: differs\n');
  });

  it('compose warns about a server that listens on loopback, naming the service and the flag', async () => {
    project = e2eProject();
    const p = project;
    p.write(
      `services:\n  api:\n    command: uvicorn app:app --host 127.0.0.1 --port \${PORT}\n    port: 8600\n  ui:\n    command: flask run --host 0.0.0.0\n    port: 8601\n`,
    );
    const r = await p.ok(['export', 'compose']);
    expect(r.stderr).toBe(
      'warning: compose: api listens on loopback (--host 127.0.0.1): its published port is unreachable from outside the container; use --host 0.0.0.0\n',
    );
    expect(r.stdout).toContain('# --host 127.0.0.1 listens on loopback');
  });
});

/** The built CLI in `cwd` (not the harness project's folder). */
function runIn(cwd: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          out: stdout + stderr,
        }),
    );
  });
}
