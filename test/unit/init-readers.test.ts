import { describe, expect, it } from 'vitest';
import { readCompose } from '../../src/init/compose-file.js';
import { detectApps } from '../../src/init/detect.js';
import { serviceName } from '../../src/init/draft.js';
import { uniqueNames } from '../../src/init/manifest-text.js';
import { packageManager, readPackageScripts } from '../../src/init/package-scripts.js';
import { readProcfile } from '../../src/init/procfile.js';

describe('init readers', () => {
  it('Procfile: comments and blank lines skipped, both spellings of PORT become the manifest variable', () => {
    const found = readProcfile(
      '# a comment\n\nweb: gunicorn app:app -b 127.0.0.1:$PORT\nrelease: ./migrate\n',
    );
    expect(found.drafts.map((d) => [d.name, d.command, d.port])).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax of a manifest
      ['web', 'gunicorn app:app -b 127.0.0.1:${PORT}', 'auto'],
      ['release', './migrate', undefined],
    ]);
    expect(found.problems).toEqual([]);
  });

  it('package.json: the lock file picks the manager; vite and next are given the port; bad JSON is a located problem', () => {
    expect(packageManager(new Set(['yarn.lock']))).toBe('yarn');
    expect(packageManager(new Set(['bun.lock']))).toBe('bun');
    expect(packageManager(new Set())).toBe('npm');
    const found = readPackageScripts(
      JSON.stringify({
        scripts: { dev: 'vite', preview: 'next start', build: 'vite build', start: 'node x.js' },
      }),
      new Set(['pnpm-lock.yaml']),
    );
    expect(found.drafts.map((d) => d.command)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax of a manifest
      'pnpm run dev -- --port ${PORT} --strictPort',
      'pnpm run start',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax of a manifest
      'pnpm run preview -- -p ${PORT}',
    ]);
    expect(found.drafts.find((d) => d.name === 'start')?.notes?.[0]).toContain('set port:');
    expect(readPackageScripts('{ nope', new Set()).problems[0]).toMatch(/^package\.json:1: not JSON/);
  });

  it('compose: the container port of each form, environment lists, depends_on among taken services, a syntax error located', () => {
    const found = readCompose(
      'services:\n  a:\n    command: run-a\n    ports: ["127.0.0.1:8080:80/tcp"]\n    environment: [X=1, Y]\n    depends_on: { b: { condition: service_started }, db: {} }\n  b:\n    command: [run, b]\n    ports: [{ target: 9000, published: 19000 }]\n  db:\n    image: postgres\n',
      'compose.yaml',
    );
    expect(found.drafts.map((d) => [d.name, d.port, d.env, d.dependsOn])).toEqual([
      ['a', 80, { X: '1', Y: '' }, ['b']],
      ['b', 9000, undefined, undefined],
    ]);
    expect(found.notes).toEqual([
      'compose.yaml: db runs the image postgres; uiprocs runs commands, not images, so it is not here',
    ]);
    expect(readCompose('services:\n  a: [\n', 'compose.yaml').problems[0]).toMatch(/^compose\.yaml:\d+: /);
  });

  it('detect: vite and next configs unless package.json already runs them; a .py without streamlit is not an app', () => {
    const file = (name: string, text = '') => ({ name, head: () => text });
    const files = [
      file('vite.config.ts'),
      file('next.config.mjs'),
      file('tool.py', 'import os\n'),
      file('ui.py', 'from streamlit import title\n'),
    ];
    expect(detectApps(files, { vite: false, next: false }).drafts.map((d) => d.name)).toEqual([
      'ui',
      'vite',
      'next',
    ]);
    expect(detectApps(files, { vite: true, next: true }).drafts.map((d) => d.name)).toEqual(['ui']);
  });

  it('names: any label becomes a valid service name, and duplicates get a suffix', () => {
    expect(serviceName('My App!')).toBe('My-App');
    expect(serviceName('..x')).toBe('x');
    const named = uniqueNames([
      { name: 'web', command: 'a', from: 'x' },
      { name: 'web', command: 'b', from: 'y' },
    ]);
    expect(named.map((d) => d.name)).toEqual(['web', 'web-2']);
  });
});
