/**
 * What makes an export hold where it lands (issue #12, items 5-8), on the pure exporters:
 * paths move with the project and only whole paths move; compose names the loopback flag
 * that makes a published port unreachable; a unit runs the file the resolver found and
 * records it where `--check` reads it back; max_restarts becomes systemd's start limit.
 * The built CLI's side (a relocated copy, PATH at export and at check) is in
 * test/e2e/export.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Desired, ServiceSpec } from '../../src/core/model.js';
import { exportCompose } from '../../src/export/compose.js';
import { lookedUpProgram } from '../../src/export/executables.js';
import { loopbackBinds } from '../../src/export/loopback.js';
import { exportMake } from '../../src/export/make.js';
import { pathRewriter } from '../../src/export/relocate.js';
import { exportSystemd, recordedExecutables } from '../../src/export/systemd.js';
import { desiredIn, service } from '../helpers/desired.js';

const DIR = '/home/ann/ocr-ui';

const spec = (name: string, command: string | string[], over: Partial<ServiceSpec> = {}) =>
  service(name, { command, port: 8600, ...over }, DIR);
const manifest = (...services: ServiceSpec[]) => desiredIn(DIR, 'ocr', services);

const nothingFound = () => null;
const unit = (d: Desired, opts: Partial<Parameters<typeof exportSystemd>[1]> = {}) =>
  exportSystemd(d, { user: false, resolve: nothingFound, ...opts });

describe('paths move with the project', () => {
  const move = pathRewriter(DIR, '/srv/ocr');

  it('rewrites the folder as a whole path wherever it stands in a text', () => {
    expect(move(DIR)).toBe('/srv/ocr');
    expect(move(`${DIR}/ui/app.py`)).toBe('/srv/ocr/ui/app.py');
    expect(move(`--root=${DIR} --log "${DIR}/x.log"`)).toBe('--root=/srv/ocr --log "/srv/ocr/x.log"');
    expect(move(`${DIR}/.venv/bin:/usr/bin:${DIR}`)).toBe('/srv/ocr/.venv/bin:/usr/bin:/srv/ocr');
    // `$&` in the target is text, not a replacement pattern.
    expect(pathRewriter(DIR, '/srv/$&')(DIR)).toBe('/srv/$&');
  });

  it('leaves alone a path that only starts or ends like the folder', () => {
    for (const text of [`${DIR}-old/app.py`, `${DIR}2`, `${DIR}.bak`, `/mnt${DIR}`, `x${DIR}`, '/home/ann']) {
      expect(move(text)).toBe(text);
    }
  });

  it('systemd: --project-dir moves cwd, logs, commands, env and the manifest path; outside paths stay', () => {
    const d = manifest(
      spec('web', `python ${DIR}/app.py`, {
        cwd: `${DIR}/ui`,
        env: { DATA: `${DIR}/data`, SHARED: '/var/lib/shared' },
        log: { path: '/var/log/web.log', maxSize: 1, keep: 1 },
      }),
    );
    const text = unit(d, { projectDir: '/srv/ocr' }).files[0]!.content;
    expect(text).not.toContain(DIR);
    expect(text).toContain('Description=ocr web (from /srv/ocr/ui-procs.yaml)');
    expect(text).toContain('WorkingDirectory=/srv/ocr/ui');
    expect(text).toContain('Environment="DATA=/srv/ocr/data"');
    expect(text).toContain('Environment="SHARED=/var/lib/shared"');
    expect(text).toContain('ExecStart=/bin/sh -c "exec python /srv/ocr/app.py"');
    expect(text).toContain('StandardOutput=append:/var/log/web.log');
    // Without --project-dir the units say where the manifest is.
    expect(unit(d).files[0]!.content).toContain(`WorkingDirectory=${DIR}/ui`);
  });

  it('compose: the mount source is relative to the compose file, the project sits at /project inside', () => {
    const d = manifest(spec('web', ['python', `${DIR}/app.py`], { cwd: `${DIR}/ui` }));
    const beside = exportCompose(d, { fileDir: DIR }).content;
    expect(beside).not.toContain(DIR);
    expect(beside).toContain('source: ".", target: "/project"');
    expect(beside).toContain('working_dir: "/project/ui"');
    expect(beside).toContain('command: ["python", "/project/app.py"]');
    expect(exportCompose(d, { fileDir: `${DIR}/deploy` }).content).toContain('source: "..",');
    expect(exportCompose(d, { fileDir: '/home/ann' }).content).toContain('source: "./ocr-ui",');
  });

  it("make: the manifest's path is relative to the fragment's own folder", () => {
    const d = manifest(spec('web', 'serve'));
    const at = (fileDir: string) =>
      exportMake(d, { fileDir })
        .split('\n')
        .filter((l) => l.startsWith('UIPROCS_M'));
    expect(at(DIR)).toEqual([
      'UIPROCS_MK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))',
      'UIPROCS_MANIFEST ?= $(UIPROCS_MK_DIR)ui-procs.yaml',
    ]);
    expect(at(`${DIR}/build/mk`)[1]).toBe('UIPROCS_MANIFEST ?= $(UIPROCS_MK_DIR)../../ui-procs.yaml');
  });
});

describe('compose: servers that listen on loopback', () => {
  it('finds the bind flags of the usual servers, in both spellings', () => {
    const cases: [string | string[], string[]][] = [
      ['flask run --host 127.0.0.1 -p 8600', ['--host 127.0.0.1']],
      ['flask run -h localhost', ['-h localhost']],
      ['uvicorn app:app --host=127.0.0.1', ['--host 127.0.0.1']],
      ['jupyter lab --ip 127.0.0.1', ['--ip 127.0.0.1']],
      [['python', '-m', 'http.server', '8600', '--bind', '127.0.0.1'], ['--bind 127.0.0.1']],
      ['python -m http.server -b 127.0.0.1 8600', ['-b 127.0.0.1']],
      ['gunicorn -b 127.0.0.1:8600 app:app', ['-b 127.0.0.1:8600']],
      ["gunicorn --bind '[::1]:8600' app:app", ['--bind [::1]:8600']],
      ['streamlit run a.py --server.address 127.0.0.1', ['--server.address 127.0.0.1']],
      ['flask run --host 0.0.0.0', []],
      ['uvicorn app:app --host ::', []],
      ['serve --name 127.0.0.1', []],
      ['serve -b', []],
    ];
    for (const [command, expected] of cases) {
      expect(
        loopbackBinds(command).map((b) => `${b.flag} ${b.value}`),
        String(command),
      ).toEqual(expected);
    }
  });

  it('warns naming the service and the flag to change, and says so at its ports', () => {
    const d = manifest(
      spec('api', 'gunicorn -b 127.0.0.1:8600 app:app'),
      spec('ui', 'flask run --host 0.0.0.0', { port: 8601 }),
      // No published port: loopback is nobody's problem.
      spec('worker', 'celery --host 127.0.0.1', { port: null }),
    );
    const { content, warnings } = exportCompose(d, { fileDir: DIR });
    expect(warnings).toEqual([
      'compose: api listens on loopback (-b 127.0.0.1:8600): its published port is unreachable from outside the container; use -b 0.0.0.0:8600',
    ]);
    expect(content).toContain(
      '    # -b 127.0.0.1:8600 listens on loopback: unreachable through this port; use -b 0.0.0.0:8600\n    ports:\n      - "8600:8600"',
    );
    expect(content.match(/listens on loopback/g)).toHaveLength(1);
  });
});

describe('systemd: units run the file uiprocs up runs', () => {
  const resolver = (found: Record<string, string>) => (_s: ServiceSpec, program: string) =>
    found[program] ?? null;

  it('writes the resolved file in place of the name, for shell strings and arrays, and says so', () => {
    const d = manifest(
      spec('str', 'flask run -p 8600'),
      spec('arr', ['flask', 'run'], { port: 8601 }),
      spec('auto', ['flask', 'run', '--url', 'u'], { port: 8602, env: { URL: `x\u0000UIPROCS_PORT\u0000` } }),
    );
    const files = unit(d, { resolve: resolver({ flask: '/home/ann/.venv bin/flask' }) }).files;
    const [str, arr] = files.map((f) => f.content);
    expect(str).toContain(`ExecStart=/bin/sh -c "exec '/home/ann/.venv bin/flask' run -p 8600"`);
    expect(str).toContain(
      '# executable "flask" = "/home/ann/.venv bin/flask": found on the PATH uiprocs up uses (at export)',
    );
    expect(arr).toContain('ExecStart="/home/ann/.venv bin/flask" run\n');
    expect(files[2]!.content).toMatch(
      /^ExecStart=\/usr\/bin\/env "URL=x\$\{PORT\}" "\/home\/ann\/\.venv bin\/flask" run/m,
    );
  });

  it('keeps a name it did not find as written, says so, and warns', () => {
    const { files, warnings } = unit(manifest(spec('arr', ['flask', 'run']), spec('str', 'flask run')));
    expect(files[0]!.content).toContain('ExecStart=/usr/bin/env flask run\n');
    expect(files[1]!.content).toContain('ExecStart=/bin/sh -c "exec flask run"\n');
    expect(files[0]!.content).toContain(
      `# executable "flask" was not found on the PATH uiprocs up uses (at export): kept as written for systemd's PATH`,
    );
    expect(warnings).toEqual([
      'systemd: arr: "flask" is not on the PATH uiprocs up uses here',
      'systemd: str: "flask" is not on the PATH uiprocs up uses here',
    ]);
  });

  it('looks nothing up for a path or a compound script, and says when the script is left to systemd', () => {
    expect(lookedUpProgram(spec('a', ['./run.sh']))).toBeNull();
    expect(lookedUpProgram(spec('a', '/usr/bin/python3 app.py'))).toBeNull();
    expect(lookedUpProgram(spec('a', 'make build && serve'))).toBeNull();
    expect(lookedUpProgram(spec('a', 'FOO=1 serve'))).toBeNull();
    expect(lookedUpProgram(spec('a', '  serve --port 1'))).toBe('serve');

    const called: string[] = [];
    const { files, warnings } = unit(
      manifest(
        spec('script', 'make build && serve'),
        spec('pathed', 'make build && serve', { env: { PATH: `${DIR}/bin:/usr/bin` } }),
      ),
      {
        resolve: (_s, p) => {
          called.push(p);
          return null;
        },
      },
    );
    expect(called).toEqual([]);
    expect(files[0]!.content).toContain("# a shell script: its programs are found on systemd's PATH");
    expect(warnings).toEqual([expect.stringMatching(/^systemd: script: a shell script/)]);
    // With the manifest's own PATH the unit carries it (Environment=PATH=…): nothing to say.
    expect(files[1]!.content).not.toContain('# a shell script');
  });

  it('reads back what it recorded, whatever the paths hold', () => {
    const found = { 'my-tool.v2': '/opt/a b/"x"\\y', flask: '/srv/ocr/.venv/bin/flask' };
    const d = manifest(spec('a', ['my-tool.v2']), spec('b', 'flask run'), spec('c', 'gone'));
    const [a, b, c] = unit(d, { resolve: resolver(found) }).files.map((f) => f.content);
    expect(recordedExecutables(a!)).toEqual(new Map([['my-tool.v2', '/opt/a b/"x"\\y']]));
    expect(recordedExecutables(b!)).toEqual(new Map([['flask', '/srv/ocr/.venv/bin/flask']]));
    expect(recordedExecutables(c!)).toEqual(new Map([['gone', null]]));
    // Only the unit's leading comments are records, and only well-formed ones.
    expect(recordedExecutables('[Service]\n# executable "x" = "/y": found\n')).toEqual(new Map());
    expect(recordedExecutables('# executable "x = "/y": found\n')).toEqual(new Map());
  });
});

describe('systemd: max_restarts is the start limit', () => {
  const lines = (s: ServiceSpec) =>
    unit(manifest(s))
      .files[0]!.content.split('\n')
      .filter((l) => /^(Restart|StartLimit)/.test(l));

  it('N restarts: N+1 starts within N × (60 s reset + 1 s delay)', () => {
    expect(lines(spec('a', 'serve', { restart: 'on-failure', maxRestarts: 5 }))).toEqual([
      'StartLimitBurst=6',
      'StartLimitIntervalSec=305s',
      'Restart=on-failure',
      'RestartSec=1s',
    ]);
    expect(lines(spec('a', 'serve', { restart: 'always', maxRestarts: 1 }))).toEqual([
      'StartLimitBurst=2',
      'StartLimitIntervalSec=61s',
      'Restart=always',
      'RestartSec=1s',
    ]);
  });

  it('max_restarts: 0 never restarts, and restart: no sets no limit', () => {
    expect(lines(spec('a', 'serve', { restart: 'on-failure', maxRestarts: 0 }))).toEqual(['Restart=no']);
    expect(lines(spec('a', 'serve', { restart: 'no', maxRestarts: 5 }))).toEqual(['Restart=no']);
  });
});
