/**
 * Hostile manifests through the real CLI (the volume runs in-process in
 * test/unit/manifest-hostile-fuzz.test.ts), and paths that must not escape: a service
 * name cannot become a path outside the state dir, a log file is created only where the
 * manifest asks, state files only in the state dir.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { type E2eProject, e2eProject, programs } from './harness.js';

const bad = resolve(import.meta.dirname, '../fixtures/manifests/bad');
let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/** Every path under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      out.push(relative(dir, full));
      if (e.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

const located = /^ui-procs\.yaml:\d+:\d+: /m;

describe('through the CLI', () => {
  it('mutated manifests answer 0 or 2 with a located message, never an internal error', async () => {
    const p = e2eProject();
    project = p;
    const cases = [
      'services:\n  web:\n  command: a\n', // indentation lost
      'services:\n  web: { command: a }\n  web: { command: b }\n', // duplicate key
      'services:\n  web:\n    command: [a, *nope]\n', // unknown alias
      'services:\n  web:\n    command: a\n    port: {x: [1, 2}\n', // torn flow map
      'services:\n  web:\n    command: a\n\tport: 80\n', // tab indentation
      'services:\n  web:\n    command: a\n    port: "$' + '{UNSET_FOR_SURE}"\n', // unset variable
      'services: [1, 2, 3]\n',
      '%YAML 9.9\n---\nservices: {}\n',
      'services:\n  web:\n    command: echo \u0000\n',
    ];
    for (const text of cases) {
      p.write(text);
      const r = await p.run(['validate']);
      expect(r.stderr, text).not.toMatch(/internal error|\n\s+at .*:\d+:\d+\)?\n/);
      expect([0, 2], `${text}\n${r.stderr}`).toContain(r.code);
      if (r.code === 2) expect(r.stderr, text).toMatch(located);
    }
  });

  it('the alias bomb is refused quickly, with its location', async () => {
    const p = e2eProject();
    project = p;
    const t0 = performance.now();
    const r = await p.run(['validate', '-f', join(bad, 'alias-bomb/ui-procs.yaml')]);
    const ms = performance.now() - t0;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ui-procs\.yaml:3:10: the manifest expands too many aliases/);
    expect(ms).toBeLessThan(10_000); // process start-up included; expanding the bomb would take hours
  });
});

describe('nothing escapes', () => {
  it('a service name like ../x or a/b is refused (exit 2, located) and nothing is created', async () => {
    const p = e2eProject();
    project = p;
    for (const name of ['../x', 'a/b', '.hidden', '..']) {
      p.write(`services:\n  "${name}": { command: a }\n`);
      const r = await p.run(['up']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/ui-procs\.yaml:\d+:\d+: /);
      expect(existsSync(p.stateDir)).toBe(false);
      expect(existsSync(join(p.dir, '..', 'x.json'))).toBe(false);
    }
  });

  it("up writes only the state dir, the manifest cache, the log path the manifest names and the user's project registry", async () => {
    const p = e2eProject();
    project = p;
    const port = await freePort();
    // The log lives outside the project, where the user asked; a second service uses the default.
    const logs = join(p.dir, 'elsewhere');
    mkdirSync(join(p.dir, 'app'));
    p.write(`
services:
  web:
    command: [node, ${join(programs, 'serve.mjs')}, "${port}"]
    port: ${port}
    cwd: app
    log: ${logs}/deep/web.log
  quiet:
    command: [node, -e, "setInterval(()=>{},1e9)"]
`);
    const before = tree(p.dir);
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(0);
    const created = tree(p.dir).filter((f) => !before.includes(f));
    const unexpected = created.filter(
      (f) =>
        !f.startsWith('.uiprocs') &&
        !f.startsWith('.cache') &&
        !['elsewhere', 'elsewhere/deep', 'elsewhere/deep/web.log'].includes(f) &&
        // The harness's XDG_STATE_HOME: the registry entry of this project, nothing else in it.
        ![
          '.state',
          '.state/uiprocs',
          '.state/uiprocs/projects',
          `.state/uiprocs/projects/${p.id}.json`,
        ].includes(f),
    );
    expect(unexpected).toEqual([]);
    expect(created).toContain(`.state/uiprocs/projects/${p.id}.json`);
    expect(statSync(join(p.dir, '.state/uiprocs')).mode & 0o777).toBe(0o700);
    expect(created).toContain('elsewhere/deep/web.log');
    expect(created).toContain('.uiprocs/logs/quiet.log');
    expect(created).not.toContain('.uiprocs/logs/web.log');
    expect(readdirSync(join(p.dir, 'app'))).toEqual([]); // cwd is where it runs, not where we write
    // State files are private: the dir 0700, records 0600.
    expect(statSync(p.stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(p.stateDir, 'run/web.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(p.stateDir, 'run/web.pid'), 'utf8')).toMatch(/^\d+\n$/);
    await p.ok(['down']);
  });
});
