/**
 * Every project of the user (#25): real projects in separate temp folders sharing one
 * XDG_STATE_HOME (the registry, src/state/registry.ts), `ls` run from a folder of none of
 * them, `--project`/`-C` acting on one and only that one, a port clash naming the project
 * that holds the port, pruning, concurrent `up`s, and a registry others could write to.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectRow } from '../../src/engine/project-list.js';
import { otherUser, runAsOther } from '../helpers/other-user.js';
import { freePort } from '../helpers/procs.js';
import {
  answers,
  bin,
  type CliResult,
  type E2eProject,
  e2eProject,
  isGone,
  programs,
  trackEveryProject,
} from './harness.js';

const serve = join(programs, 'serve.mjs');
const track = trackEveryProject();
const homes: string[] = [];
const elsewhere: string[] = [];

afterAll(() => {
  for (const d of [...homes, ...elsewhere]) rmSync(d, { recursive: true, force: true });
});

function stateHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'uiprocs-registry-'));
  homes.push(d);
  return d;
}

/** A folder of no project, to run `ls` and `--project` from. */
function nowhere(): string {
  const d = mkdtempSync(join(tmpdir(), 'uiprocs-nowhere-'));
  elsewhere.push(d);
  return d;
}

/** The CLI run in `cwd` with this registry, not from any project's folder. */
function cli(cwd: string, home: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd,
        env: { ...process.env, XDG_STATE_HOME: home, NO_COLOR: '1', CI: 'true', UIPROCS_PLAIN: '1' },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function ls(home: string, ...args: string[]): Promise<ProjectRow[]> {
  const r = await cli(nowhere(), home, ['ls', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ProjectRow[];
}

/** A project of two servers on fixed free ports, registered in `home`. */
async function twoServers(name: string, home: string) {
  const p = track(e2eProject(name, { stateHome: home }));
  const [web, api] = [await freePort(), await freePort()];
  p.write(
    [
      'services:',
      '  web:',
      `    command: node ${serve} ${web} 127.0.0.1`,
      `    port: ${web}`,
      '  api:',
      `    command: node ${serve} ${api} 127.0.0.1`,
      `    port: ${api}`,
      '',
    ].join('\n'),
  );
  return { p, web, api };
}

const byName = (rows: ProjectRow[], name: string) => rows.find((r) => r.name === name);

describe('uiprocs ls', () => {
  it('lists each project from a third folder with its running/total; --all adds the stopped ones', async () => {
    const home = stateHome();
    const a = await twoServers('alpha', home);
    const b = await twoServers('beta', home);
    const c = await twoServers('gamma', home);
    await a.p.ok(['up']);
    await b.p.ok(['up', 'web']);
    await c.p.ok(['up']);
    await c.p.ok(['down']);

    const rows = await ls(home);
    expect(rows.map((r) => r.name)).toEqual(['alpha', 'beta']);
    expect(byName(rows, 'alpha')).toMatchObject({
      folder: a.p.dir,
      running: 2,
      total: 2,
      supervised: 'supervisor',
    });
    expect(byName(rows, 'beta')).toMatchObject({ folder: b.p.dir, running: 1, total: 2 });
    expect(byName(rows, 'alpha')!.id).toBe(a.p.id);

    const all = await ls(home, '--all');
    expect(all.map((r) => r.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(byName(all, 'gamma')).toMatchObject({ running: 0, total: 2, supervised: null });

    const table = await cli(nowhere(), home, ['ls']);
    expect(table.stdout).toMatch(/^NAME\s+FOLDER\s+RUNNING\s+SUPERVISED\s+DASHBOARD$/m);
    expect(table.stdout).toMatch(new RegExp(`^alpha\\s+${a.p.dir}\\s+2/2\\s+supervisor\\s+-$`, 'm'));
    expect(table.stdout).toMatch(/^beta\s+\S+\s+1\/2\s/m);
    expect(table.stdout).not.toContain('gamma');
  });

  it('prunes a project whose folder was removed, and one whose state dir holds nothing', async () => {
    const home = stateHome();
    const a = await twoServers('kept', home);
    const b = await twoServers('removed', home);
    const c = await twoServers('emptied', home);
    for (const x of [a, b, c]) await x.p.ok(['up', 'web']);
    for (const x of [b, c]) await x.p.ok(['down']);
    expect((await ls(home, '--all')).map((r) => r.name)).toEqual(['emptied', 'kept', 'removed']);

    rmSync(b.p.dir, { recursive: true, force: true });
    rmSync(join(c.p.stateDir, 'logs'), { recursive: true, force: true });
    expect((await ls(home, '--all')).map((r) => r.name)).toEqual(['kept']);
    // Pruned: the entries' files are gone, the live project's stays.
    expect(readdirSync(join(home, 'uiprocs', 'projects'))).toEqual([`${a.p.id}.json`]);
  });

  it('keeps every entry when several projects run `up` at the same moment', async () => {
    const home = stateHome();
    const projects = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((n) => twoServers(n, home)));
    const results = await Promise.all(projects.map((x) => x.p.run(['up', 'web', '--no-supervise'])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const rows = await ls(home);
    expect(rows.map((r) => r.name)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    for (const r of rows) expect(r).toMatchObject({ running: 1, total: 2 });
    // No temp file left behind by the writers.
    expect(readdirSync(join(home, 'uiprocs', 'projects')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('believes no registry others could write to, nor an entry that claims another id', async () => {
    const home = stateHome();
    const a = await twoServers('owned', home);
    await a.p.ok(['up', 'web']);
    // A planted entry: a folder that exists, under an id that is not the one its name and state dir make.
    const planted = join(home, 'uiprocs', 'projects', 'evil-00000000.json');
    writeFileSync(
      planted,
      JSON.stringify({
        version: 1,
        id: 'evil-00000000',
        project: 'evil',
        manifest: join(a.p.dir, 'ui-procs.yaml'),
        folder: a.p.dir,
        stateDir: a.p.stateDir,
        services: ['web'],
      }),
    );
    const r = await cli(nowhere(), home, ['ls', '--json']);
    expect(r.stderr).toContain('evil-00000000.json: not a project entry; ignored');
    expect((JSON.parse(r.stdout) as ProjectRow[]).map((x) => x.name)).toEqual(['owned']);

    chmodSync(join(home, 'uiprocs'), 0o777);
    const open = await cli(nowhere(), home, ['ls', '--json']);
    expect(open.code).toBe(0);
    expect(open.stderr).toMatch(/the project registry is not believed: .*has mode 0777/);
    expect(JSON.parse(open.stdout)).toEqual([]);
    // --project finds nothing in it either.
    const ps = await cli(nowhere(), home, ['ps', '--project', 'owned']);
    expect(ps.code).toBe(2);
    chmodSync(join(home, 'uiprocs'), 0o700);
  });
});

describe('--project and -C act on another project, and only on it', () => {
  it('ps and down by name from a third folder; the other project keeps running', async () => {
    const home = stateHome();
    const a = await twoServers('left', home);
    const b = await twoServers('right', home);
    await a.p.ok(['up']);
    await b.p.ok(['up']);
    const [aWeb, bWeb] = [a.p.record('web')!.pid, b.p.record('web')!.pid];

    const ps = await cli(nowhere(), home, ['ps', '--json', '--project', 'left']);
    expect(ps.code, ps.stderr).toBe(0);
    const rows = JSON.parse(ps.stdout) as Array<{ name: string; pid: number }>;
    expect(rows.find((r) => r.name === 'web')!.pid).toBe(aWeb);

    const down = await cli(nowhere(), home, ['down', 'web', '--project', 'left']);
    expect(down.code, down.stderr).toBe(0);
    expect(isGone(aWeb)).toBe(true);
    expect(await answers(a.web)).toBe(false);
    // The other project's service of the same name, and left's other service, still run.
    expect(isGone(bWeb)).toBe(false);
    expect(await answers(b.web)).toBe(true);
    expect(await answers(a.api)).toBe(true);

    // By folder: -C, and --project with the folder.
    const byDir = await cli(nowhere(), home, ['-C', b.p.dir, 'down', 'api']);
    expect(byDir.code, byDir.stderr).toBe(0);
    expect(await answers(b.api)).toBe(false);
    expect(await answers(b.web)).toBe(true);
    const byFolder = await cli(nowhere(), home, ['down', '--project', b.p.dir]);
    expect(byFolder.code, byFolder.stderr).toBe(0);
    expect(b.p.tagged()).toEqual([]);
    expect(await answers(a.api)).toBe(true);
  });

  it('an unknown name, a name two checkouts share, --project with -f, and a missing -C folder are usage errors that change nothing', async () => {
    const home = stateHome();
    const a = await twoServers('twin', home);
    const b = await twoServers('twin', home);
    await a.p.ok(['up', 'web']);
    await b.p.ok(['up', 'web']);
    const pids = [a.p.record('web')!.pid, b.p.record('web')!.pid];

    const unknown = await cli(nowhere(), home, ['down', '--project', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--project nope: no such project; registered: twin');
    const twins = await cli(nowhere(), home, ['down', '--project', 'twin']);
    expect(twins.code).toBe(2);
    expect(twins.stderr).toContain('2 projects have this name');
    expect(twins.stderr).toContain(a.p.dir);
    expect(twins.stderr).toContain(b.p.dir);
    const both = await cli(nowhere(), home, [
      'down',
      '--project',
      'twin',
      '-f',
      join(a.p.dir, 'ui-procs.yaml'),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--project and --file both name the manifest');
    const missing = await cli(nowhere(), home, ['-C', join(a.p.dir, 'nope'), 'down']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such folder');
    for (const pid of pids) expect(isGone(pid)).toBe(false);
    for (const r of [unknown, twins, both, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a port held by another project names it', () => {
  it("up's preflight and ps say which service of which project holds the port, and nothing is started", async () => {
    const home = stateHome();
    const a = await twoServers('ocr-ui', home);
    await a.p.ok(['up', 'web']);
    const holder = a.p.record('web')!.pid;
    const b: E2eProject = track(e2eProject('other', { stateHome: home }));
    b.write(
      ['services:', '  ui:', `    command: node ${serve} ${a.web} 127.0.0.1`, `    port: ${a.web}`, ''].join(
        '\n',
      ),
    );

    const up = await b.run(['up']);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toContain(
      `ui: port ${a.web} is held by service web of project ocr-ui (${a.p.dir}, pid ${holder}); nothing was started`,
    );
    expect(b.tagged()).toEqual([]);
    const ps = await b.run(['ps']);
    expect(ps.stdout).toContain(
      `ui: port ${a.web} is held by service web of project ocr-ui (${a.p.dir}, pid ${holder})`,
    );
    const json = JSON.parse((await b.ok(['ps', '--json'])).stdout) as Array<{ name: string; note: string }>;
    expect(json[0]!.note).toContain('of project ocr-ui');
    await a.p.ok(['down']);
    expect(isGone(holder)).toBe(true);
  });
});

const user = otherUser();

describe.skipIf(!user)('another unix user (a real second user; skipped when not root)', () => {
  it('a registry folder that user made and filled is not believed, and up still works, saying so', async () => {
    const other = user!;
    // A shared XDG_STATE_HOME (a mistake, or a trap): the other user got there first.
    const shared = stateHome();
    chmodSync(shared, 0o777);
    // Its entry for a project of its choice, under a name `--project` would find.
    const trap = JSON.stringify({
      version: 1,
      id: 'trap-00000000',
      project: 'trap',
      manifest: '/tmp/x/ui-procs.yaml',
      folder: '/tmp/x',
      stateDir: '/tmp/x/.uiprocs',
      services: ['web'],
    });
    const made = await runAsOther(other, 'sh', [
      '-c',
      `mkdir -m 700 -p ${shared}/uiprocs/projects && printf '%s' '${trap}' > ${shared}/uiprocs/projects/trap-00000000.json`,
    ]);
    expect(made.code, made.stderr).toBe(0);
    const a = await twoServers('mine', shared);
    const up = await a.p.run(['up', 'web']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/not in the project registry \(uiprocs ls\): .*owned by uid \d+, not by you/);
    expect(await answers(a.web)).toBe(true);
    const r = await cli(nowhere(), shared, ['ls', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/the project registry is not believed: .*owned by uid/);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const trapped = await cli(nowhere(), shared, ['down', '--project', 'trap']);
    expect(trapped.code).toBe(2);
    expect(await answers(a.web)).toBe(true);
    await a.p.ok(['down']);
  });

  it("the other user's service holding the port is named by its tag, not given a folder from our registry", async () => {
    const other = user!;
    const home = stateHome();
    const port = await freePort();
    const theirs = mkdtempSync(join(tmpdir(), 'uiprocs-theirs-'));
    elsewhere.push(theirs);
    chmodSync(theirs, 0o777);
    // Their own uiprocs, their own registry: a real project of that user holding the port.
    writeFileSync(
      join(theirs, 'ui-procs.yaml'),
      `version: 1\nproject: their-ui\nservices:\n  web: { command: node ${serve} ${port} 127.0.0.1, port: ${port} }\n`,
    );
    chmodSync(join(theirs, 'ui-procs.yaml'), 0o644);
    const started = await runAsOther(
      other,
      process.execPath,
      [bin, '-f', join(theirs, 'ui-procs.yaml'), 'up', '--no-supervise'],
      {
        cwd: theirs,
        env: { XDG_STATE_HOME: join(theirs, 'state'), CI: 'true', UIPROCS_PLAIN: '1' },
      },
    );
    expect(started.code, started.stderr).toBe(0);
    try {
      const mine = track(e2eProject('mine', { stateHome: home }));
      mine.write(`services:\n  ui: { command: node ${serve} ${port} 127.0.0.1, port: ${port} }\n`);
      const up = await mine.run(['up']);
      expect(up.code).not.toBe(0);
      expect(up.stderr).toMatch(
        new RegExp(
          `ui: port ${port} is held by service web of project their-ui \\(pid \\d+\\); nothing was started`,
        ),
      );
      expect(mine.tagged()).toEqual([]);
    } finally {
      const down = await runAsOther(
        other,
        process.execPath,
        [bin, '-f', join(theirs, 'ui-procs.yaml'), 'down'],
        {
          cwd: theirs,
          env: { XDG_STATE_HOME: join(theirs, 'state'), CI: 'true', UIPROCS_PLAIN: '1' },
        },
      );
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await answers(port)).toBe(false);
  });
});
