/**
 * `uiprocs init` over real sample repos (test/fixtures/init/*, copied to a temp folder):
 * what it writes validates, `up` really starts it (the port answers), `down` stops it, and
 * it never replaces a manifest. Streamlit and Jupyter run only where they are installed;
 * their manifests are validated everywhere.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { answers, e2eProject, isGone, psRows, root, trackProjects } from './harness.js';

const track = trackProjects();
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax of a manifest
const PORT = '${PORT}';
const fixtures = resolve(root, 'test/fixtures/init');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A temp project holding a copy of the fixture, with no manifest yet. */
function repo(name: string) {
  const p = track(e2eProject());
  cpSync(join(fixtures, name), p.dir, { recursive: true });
  return p;
}

async function initUpDown(p: ReturnType<typeof repo>, services: string[]) {
  const init = await p.ok(['init']);
  expect(init.stderr).toMatch(/wrote ui-procs\.yaml: \d+ services? from /);
  const text = readFileSync(join(p.dir, 'ui-procs.yaml'), 'utf8');
  expect(text.split('\n')[0]).toBe(
    '# yaml-language-server: $schema=https://uiprocs.dev/schemas/ui-procs.schema.json',
  );
  await p.ok(['validate']);
  await p.ok(['up']);
  const rows = await psRows(p);
  expect(rows.map((r) => r.name).sort()).toEqual([...services].sort());
  const pids: number[] = [];
  for (const r of rows) {
    expect(r.status, r.name).toBe('running');
    if (r.port !== null) expect(await answers(r.port), `${r.name} answers on ${r.port}`).toBe(true);
    pids.push(r.pid!);
  }
  await p.ok(['down']);
  for (const pid of pids) expect(isGone(pid)).toBe(true);
  return text;
}

describe('uiprocs init', () => {
  it("a Procfile: each line a service, $PORT as the manifest's port variable with port: auto; a line without a colon is named and skipped", async () => {
    const p = repo('procfile-app');
    const r = await p.run(['init', '--dry-run']);
    expect(r.stderr).toContain('warning: Procfile:3: no "name: command" on this line; skipped');
    const text = await initUpDown(p, ['web', 'worker']);
    expect(text).toContain(
      `  # from Procfile:1 (web)\n  web:\n    command: node server.js ${PORT}\n    port: auto\n`,
    );
  });

  it('package.json scripts, run through the package manager of the lock file', async () => {
    const p = repo('node-app');
    const text = await initUpDown(p, ['start']);
    expect(text).toContain('command: npm run start');
    expect(text).not.toContain('echo no tests');
    writeFileSync(join(p.dir, 'pnpm-lock.yaml'), '');
    expect((await p.ok(['init', '--dry-run'])).stdout).toContain('command: pnpm run start');
  });

  it('a pm2 ecosystem file: script, args, env (PORT becomes port: auto), autorestart, max_restarts', async () => {
    const p = repo('pm2-app');
    const text = await initUpDown(p, ['api', 'once']);
    expect(text).toMatch(
      /api:\n {4}command: node server\.js\n {4}port: auto\n {4}env:\n {6}MODE: dev\n {4}restart: always\n {4}max_restarts: 4/,
    );
    expect(text).toMatch(
      /once:\n {4}command: node server\.js --port \$\{PORT\}\n {4}port: auto\n {4}restart: "no"/,
    );
  });

  it('an ecosystem file that throws is reported at its line and skipped, never a stack trace', async () => {
    const p = track(e2eProject());
    writeFileSync(
      join(p.dir, 'ecosystem.config.js'),
      "'use strict';\nthrow new Error('no config for you');\n",
    );
    const r = await p.run(['init', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: ecosystem.config.js:2: threw no config for you; skipped');
    expect(r.stderr).not.toMatch(/\bat .*\(/);
    expect(r.stdout).toContain('found nothing to run here');
  });

  it('a compose file: services with a command, their port, env and depends_on; an image is a comment', async () => {
    const p = repo('compose-app');
    const port = await freePort();
    const compose = join(p.dir, 'compose.yaml');
    writeFileSync(compose, readFileSync(compose, 'utf8').replaceAll('__PORT__', String(port)));
    const text = await initUpDown(p, ['api']);
    expect(text).toContain(`port: ${port}`);
    expect(text).toContain(
      '# compose.yaml: db runs the image postgres:16; uiprocs runs commands, not images',
    );
  });

  it('a Streamlit script: streamlit run with the port and its health probe (up where streamlit is installed)', async () => {
    const p = repo('streamlit-app');
    if (has('streamlit')) await initUpDown(p, ['app']);
    else {
      await p.ok(['init']);
      await p.ok(['validate']);
    }
    const text = readFileSync(join(p.dir, 'ui-procs.yaml'), 'utf8');
    expect(text).toContain(`command: streamlit run app.py --server.port ${PORT} --server.headless true`);
    expect(text).toContain('http: /_stcore/health');
  });

  it('notebooks: Jupyter Lab on loopback (up where jupyter is installed)', async () => {
    const p = repo('notebook-app');
    if (has('jupyter')) await initUpDown(p, ['jupyter']);
    else {
      await p.ok(['init']);
      await p.ok(['validate']);
    }
    expect(readFileSync(join(p.dir, 'ui-procs.yaml'), 'utf8')).toContain(
      'jupyter lab --no-browser --ip 127.0.0.1',
    );
  });

  it('never replaces a manifest (exit 2, the file untouched); nothing found writes a valid example; --from picks one source', async () => {
    const p = repo('procfile-app');
    writeFileSync(join(p.dir, 'ui-procs.yaml'), 'mine\n');
    const r = await p.run(['init']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ui-procs.yaml already exists; init never replaces it');
    expect(readFileSync(join(p.dir, 'ui-procs.yaml'), 'utf8')).toBe('mine\n');

    const empty = track(e2eProject());
    await empty.ok(['init']);
    await empty.ok(['validate']);
    expect(readFileSync(join(empty.dir, 'ui-procs.yaml'), 'utf8')).toContain('found nothing to run here');

    const both = repo('node-app');
    cpSync(join(fixtures, 'procfile-app', 'Procfile'), join(both.dir, 'Procfile'));
    const only = (await both.ok(['init', '--dry-run', '--from', 'package.json'])).stdout;
    expect(only).toContain('npm run start');
    expect(only).not.toContain('Procfile');
    expect((await both.run(['init', '--from', 'nope.txt'])).code).toBe(2);
  });
});
