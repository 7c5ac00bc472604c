/**
 * The Makefile and the bundled demo, as the README's quick start promises them.
 *
 * The bundled ui-procs.yaml listens on fixed ports (8501–8503), which a test must never
 * take: the make targets are checked with `make -n` (the commands they would run), and the
 * demo itself runs for real from a temp copy whose ports are rewritten to free ones.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freshCopy } from '../helpers/fresh-copy.js';
import { freePort } from '../helpers/procs.js';
import { type CommandResult, runAsUser } from '../helpers/user-command.js';
import { type E2eProject, e2eProject, isGone, root } from './harness.js';

const make = (args: string[], cwd = root, env: Record<string, string> = {}): Promise<CommandResult> =>
  runAsUser('make', ['--no-print-directory', ...args], cwd, env);

const makeDryRun = (args: string[]): Promise<CommandResult> => make(['-n', ...args]);

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

/**
 * Writes the bundled ui-procs.yaml into `p.dir` with its fixed ports replaced by free ones
 * and the temp project's name (the harness finds processes by the project's tag).
 */
async function demoOnFreePorts(p: E2eProject): Promise<number[]> {
  const ports: number[] = [];
  let manifest = readFileSync(join(root, 'ui-procs.yaml'), 'utf8');
  const fixed = [...manifest.matchAll(/port: (850\d)\b/g)].map((m) => m[1]!);
  expect(fixed).toEqual(['8501', '8502', '8503']);
  for (const old of fixed) {
    const port = await freePort();
    ports.push(port);
    manifest = manifest.replace(`port: ${old}`, `port: ${port}`);
  }
  manifest = manifest.replace(/^project: .*$/m, `project: ${p.project}`);
  writeFileSync(join(p.dir, 'ui-procs.yaml'), manifest);
  return ports;
}

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('the bundled demo, on free ports', () => {
  it('up: all three UIs answer 200 on / and /_stcore/health; down: all gone', async () => {
    const p = e2eProject();
    project = p;
    cpSync(join(root, 'examples/demo'), join(p.dir, 'examples/demo'), { recursive: true });
    const ports = await demoOnFreePorts(p);

    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    for (const port of ports) {
      expect(await get(`http://127.0.0.1:${port}/`), `port ${port} /`).toBe(200);
      expect(await get(`http://127.0.0.1:${port}/_stcore/health`), `port ${port} health`).toBe(200);
      expect(up.stdout).toContain(`http://127.0.0.1:${port}/`);
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

/**
 * `make up` on a fresh clone (freshCopy: no dist/, dependencies installed) as a user runs
 * it: the build prints nothing, so what is left is what uiprocs says. The rolldown command
 * used to list ~95 chunks and their sizes, and make echoed every command.
 */
describe('make up on a fresh clone', () => {
  const services = ['inference', 'evaluation_viewer', 'preprocessing_viewer'];
  const env = (p: E2eProject) => ({
    XDG_CACHE_HOME: join(p.dir, '.cache'),
    UIPROCS_PLAIN: '1',
    NO_COLOR: '1',
  });

  it('builds without a word, then prints only what uiprocs says: each UI and its URL', async () => {
    const p = e2eProject();
    project = p;
    freshCopy(p.dir);
    const ports = await demoOnFreePorts(p);

    const up = await make(['up'], p.dir, env(p));
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(existsSync(join(p.dir, 'dist/cli/main.cjs'))).toBe(true);
    const lines = (up.stdout + up.stderr).split('\n').filter((l) => l.trim() !== '');
    // Every line is uiprocs talking about one of the services: no build log, no echo.
    const about = new RegExp(`^\\S?\\s*(${services.join('|')})\\s`);
    for (const line of lines) expect(line).toMatch(about);
    for (const port of ports) expect(lines.join('\n')).toContain(`http://127.0.0.1:${port}/`);
    const pids = p.tagged();
    expect(pids).toHaveLength(3);

    const down = await make(['down'], p.dir, env(p));
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(p.tagged()).toEqual([]);
    for (const pid of pids) expect(isGone(pid)).toBe(true);
  }, 240_000);

  it('a build that fails shows its errors (file, line, message), exits non-zero and starts nothing', async () => {
    const p = e2eProject();
    project = p;
    freshCopy(p.dir);
    await demoOnFreePorts(p);
    const file = join(p.dir, 'src/core/plan.ts');
    const text = readFileSync(file, 'utf8');
    const line = text.split('\n').length;
    writeFileSync(file, `${text.replace(/\n$/, '')}\nexport const broken: number = 'not a number';\n`);

    const up = await make(['up'], p.dir, env(p));
    expect(up.code).not.toBe(0);
    const out = up.stdout + up.stderr;
    expect(out).toContain(`src/core/plan.ts(${line},14): error TS2322`);
    expect(out).toContain("Type 'string' is not assignable to type 'number'");
    expect(existsSync(join(p.dir, 'dist/cli/main.cjs'))).toBe(false);
    expect(p.tagged()).toEqual([]);
  }, 240_000);
});

/**
 * `make up` on a fresh clone begins with `npm ci`, whose summary ("added 103 packages in
 * 5s") is not what a user asked for; its errors are. A tiny project with one local
 * dependency keeps npm off the network and this test fast.
 */
describe('make install', () => {
  it("prints nothing when npm ci works, and npm's error when it does not", async () => {
    const p = e2eProject();
    project = p;
    cpSync(join(root, 'Makefile'), join(p.dir, 'Makefile'));
    const dep = (name: string) => {
      mkdirSync(join(p.dir, name));
      writeFileSync(join(p.dir, name, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    };
    const manifest = (deps: Record<string, string>) =>
      writeFileSync(
        join(p.dir, 'package.json'),
        JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }),
      );
    dep('dep-a');
    dep('dep-b');
    manifest({ 'dep-a': 'file:dep-a' });
    const lock = await runAsUser(
      'npm',
      ['install', '--package-lock-only', '--offline', '--no-audit', '--no-fund'],
      p.dir,
    );
    expect(lock.code, lock.stderr).toBe(0);

    const install = await make(['install'], p.dir);
    expect(install).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(p.dir, 'node_modules/dep-a/package.json'))).toBe(true);

    // package.json now asks for what the lock does not have: npm ci refuses, and says why.
    manifest({ 'dep-a': 'file:dep-a', 'dep-b': 'file:dep-b' });
    // File times tick in jiffies (4 ms here): written right after the install, package.json
    // can carry the very mtime of make's stamp, and make then finds nothing to do. A person
    // edits it later; date the stamp back to say so.
    const past = new Date(Date.now() - 5000);
    utimesSync(join(p.dir, 'node_modules/.package-lock.json'), past, past);
    const refused = await make(['install'], p.dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('npm error');
    expect(refused.stderr).toMatch(/in sync|Missing: dep-b/);
  });
});
