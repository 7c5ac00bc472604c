// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${…} text
/**
 * Discovery (every file name, upward search, -f, UIPROCS_FILE, package.json#uiprocs) and
 * the resolved-manifest cache (hit, miss, invalidation), on manifests written to temp dirs.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Desired, Result } from '../../src/core/model.js';
import { cacheFile } from '../../src/manifest/cache.js';
import { discoverManifest } from '../../src/manifest/discover.js';
import { loadManifest } from '../../src/manifest/load.js';

const MANIFEST = 'version: 1\nservices:\n  web:\n    command: echo ${GREETING:-hi}\n';
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'uiprocs-manifest-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const noCache = { UIPROCS_NO_CACHE: '1' };

function value(r: Result<Desired>): Desired {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('discoverManifest', () => {
  it.each([
    'ui-procs.yaml',
    'ui-procs.yml',
    '.uiprocsrc',
    '.uiprocsrc.yaml',
    '.uiprocsrc.yml',
    '.uiprocsrc.json',
  ])('finds %s in the cwd', async (name) => {
    const path = write(name, name.endsWith('.json') ? '{"version": 1, "services": {}}' : MANIFEST);
    const r = await discoverManifest({ cwd: root, env: {} });
    expect(r).toEqual({ ok: true, value: { path, kind: 'yaml' } });
  });

  it.each(['uiprocs.config.mjs', 'uiprocs.config.js'])('loads %s', async (name) => {
    write('package.json', JSON.stringify({ type: 'module' }));
    const path = write(name, 'export default { version: 1, services: { web: { command: "x" } } };\n');
    const r = await discoverManifest({ cwd: root, env: {} });
    expect(r).toEqual({
      ok: true,
      value: { path, kind: 'js', config: { version: 1, services: { web: { command: 'x' } } } },
    });
  });

  it('finds package.json#uiprocs, and skips a package.json without it', async () => {
    const outer = write('package.json', JSON.stringify({ name: 'x', uiprocs: { version: 1, services: {} } }));
    write('inner/package.json', JSON.stringify({ name: 'inner' }));
    const r = await discoverManifest({ cwd: join(root, 'inner'), env: {} });
    expect(r).toEqual({ ok: true, value: { path: outer, kind: 'package-json' } });
  });

  it('searches upward from the cwd', async () => {
    const path = write('ui-procs.yaml', MANIFEST);
    mkdirSync(join(root, 'a/b/c'), { recursive: true });
    const r = await discoverManifest({ cwd: join(root, 'a/b/c'), env: {} });
    expect(r).toEqual({ ok: true, value: { path, kind: 'yaml' } });
  });

  it('prefers ui-procs.yaml over other names in one folder', async () => {
    write('.uiprocsrc.json', '{}');
    const path = write('ui-procs.yaml', MANIFEST);
    expect(await discoverManifest({ cwd: root, env: {} })).toEqual({
      ok: true,
      value: { path, kind: 'yaml' },
    });
  });

  it('takes -f over UIPROCS_FILE over the search', async () => {
    write('ui-procs.yaml', MANIFEST);
    const f = write('conf/f.yaml', MANIFEST);
    const e = write('conf/e.yaml', MANIFEST);
    expect(await discoverManifest({ cwd: root, file: 'conf/f.yaml', env: { UIPROCS_FILE: e } })).toEqual({
      ok: true,
      value: { path: f, kind: 'yaml' },
    });
    expect(await discoverManifest({ cwd: root, env: { UIPROCS_FILE: 'conf/e.yaml' } })).toEqual({
      ok: true,
      value: { path: e, kind: 'yaml' },
    });
  });

  it('fails clearly when -f names nothing', async () => {
    const r = await discoverManifest({ cwd: root, file: 'nope.yaml', env: {} });
    expect(r).toEqual({
      ok: false,
      error: { reason: 'manifest-not-found', message: 'no manifest at nope.yaml (given by -f/--file)' },
    });
  });

  it('says where it looked when nothing is found', async () => {
    const r = await discoverManifest({ cwd: root, env: {} });
    expect(r.ok).toBe(false);
    if (r.ok || r.error.reason !== 'manifest-not-found') return;
    expect(r.error.message).toContain(`no uiprocs manifest found in ${root} or any folder above it`);
    expect(r.error.message).toContain('ui-procs.yaml, ui-procs.yml, .uiprocsrc');
    expect(r.error.message).toContain('"uiprocs" field in package.json');
  });

  it('reports a JS config that throws as a manifest problem', async () => {
    write('uiprocs.config.mjs', 'throw new Error("boom");\n');
    const r = await discoverManifest({ cwd: root, env: {} });
    expect(r.ok).toBe(false);
    if (r.ok || r.error.reason !== 'manifest-invalid') return;
    expect(r.error.diagnostics[0]).toMatchObject({
      line: 1,
      column: 1,
      message: 'cannot load uiprocs.config.mjs: boom',
    });
  });
});

describe('loadManifest', () => {
  it('validates a JS config, pointing at line 1 of the file', async () => {
    write('uiprocs.config.mjs', 'export default { version: 1, services: { web: { command: 1 } } };\n');
    const r = await loadManifest({ cwd: root, env: noCache });
    expect(r).toEqual({
      ok: false,
      error: {
        reason: 'manifest-invalid',
        diagnostics: [
          {
            file: 'uiprocs.config.mjs',
            line: 1,
            column: 1,
            length: 1,
            message: 'services.web.command must be a command string or a non-empty list of strings',
          },
        ],
      },
    });
  });

  it('locates errors inside package.json#uiprocs', async () => {
    write(
      'package.json',
      '{\n  "name": "x",\n  "uiprocs": {\n    "version": 1,\n    "services": { "web": { "command": "x", "port": 0 } }\n  }\n}\n',
    );
    const r = await loadManifest({ cwd: root, env: noCache });
    expect(r.ok).toBe(false);
    if (r.ok || r.error.reason !== 'manifest-invalid') return;
    expect(r.error.diagnostics[0]).toMatchObject({ file: 'package.json', line: 5, column: 52 });
  });
});

describe('cache', () => {
  const env = (extra: Record<string, string> = {}) => ({ XDG_CACHE_HOME: join(root, 'cache'), ...extra });
  const cached = (manifest: string) =>
    JSON.parse(readFileSync(cacheFile(env(), manifest)!, 'utf8')) as {
      envNames: string[];
      files: string[];
    };

  it('stores a valid manifest and answers from the cache next time', async () => {
    const path = write('p/ui-procs.yaml', MANIFEST);
    const cwd = join(root, 'p');
    const first = value(await loadManifest({ cwd, env: env() }));
    expect(cached(path)).toMatchObject({ envNames: ['GREETING'], files: [join(cwd, '.env')] });
    // Poison the entry's payload (not its key): a hit returns it as is, proving no re-parse.
    const file = cacheFile(env(), path)!;
    const entry = JSON.parse(readFileSync(file, 'utf8'));
    entry.desired.project = 'from-cache';
    writeFileSync(file, JSON.stringify(entry));
    const second = value(await loadManifest({ cwd, env: env() }));
    expect(second.project).toBe('from-cache');
    expect(first.project).toBe('p');
  });

  it('misses when a looked-up variable changes, appears or disappears', async () => {
    write('ui-procs.yaml', MANIFEST);
    const a = value(await loadManifest({ cwd: root, env: env() }));
    const b = value(await loadManifest({ cwd: root, env: env({ GREETING: 'hello' }) }));
    const c = value(await loadManifest({ cwd: root, env: env({ GREETING: 'hey' }) }));
    expect([a, b, c].map((d) => d.services.web!.command)).toEqual(['echo hi', 'echo hello', 'echo hey']);
    // An unrelated variable does not matter.
    const d = value(await loadManifest({ cwd: root, env: env({ GREETING: 'hey', OTHER: 'x' }) }));
    expect(d.services.web!.command).toBe('echo hey');
  });

  it('misses when the manifest, an env_file or the .env changes', async () => {
    write(
      'ui-procs.yaml',
      'version: 1\nservices:\n  web:\n    command: echo ${FROM_DOTENV:-none}\n    env_file: app.env\n',
    );
    write('app.env', 'A=1\n');
    const load = async () => value(await loadManifest({ cwd: root, env: env() })).services.web!;
    expect((await load()).env).toEqual({ A: '1' });
    write('app.env', 'A=2\n');
    expect((await load()).env).toEqual({ A: '2' });
    write('.env', 'FROM_DOTENV=yes\n');
    expect((await load()).command).toBe('echo yes');
    write('ui-procs.yaml', 'version: 1\nservices:\n  web:\n    command: changed\n');
    expect((await load()).command).toBe('changed');
  });

  it('never caches a bad manifest, ignores a corrupt entry, and can be disabled', async () => {
    const path = write('ui-procs.yaml', 'version: 1\nservices:\n  web:\n    comand: x\n');
    expect((await loadManifest({ cwd: root, env: env() })).ok).toBe(false);
    expect(readdirSync(root)).not.toContain('cache');
    write('ui-procs.yaml', MANIFEST);
    mkdirSync(join(root, 'cache/uiprocs'), { recursive: true });
    writeFileSync(cacheFile(env(), path)!, '{not json');
    expect(value(await loadManifest({ cwd: root, env: env() })).services.web!.command).toBe('echo hi');
    rmSync(join(root, 'cache'), { recursive: true });
    value(await loadManifest({ cwd: root, env: env({ UIPROCS_NO_CACHE: '1' }) }));
    expect(readdirSync(root)).not.toContain('cache');
  });
});
