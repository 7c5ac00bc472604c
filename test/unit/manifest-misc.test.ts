import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Desired, ServiceSpec } from '../../src/core/model.js';
import { parseManifestText } from '../../src/manifest/parse.js';
import { resolveTargets } from '../../src/manifest/rules.js';
import { formatDiagnostics } from '../../src/ui/diagnostic.js';

const ROOT = join(import.meta.dirname, '../..');

describe('generated validator', () => {
  it('is up to date with schemas/ui-procs.schema.json', () => {
    // Exits 1 with a message when stale; execFileSync throws then.
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-schema.mjs'), '--check'], { stdio: 'pipe' });
  });
});

describe('parse', () => {
  it('refuses a billion-laughs document quickly, with a location', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 12; i++) {
      const p = String.fromCharCode(97 + i - 1);
      const n = String.fromCharCode(97 + i);
      lines.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
    }
    const t = performance.now();
    const r = parseManifestText(lines.join('\n'), { displayFile: 'ui-procs.yaml' });
    expect(performance.now() - t).toBeLessThan(1000);
    expect(r.ok).toBe(false);
    if (r.ok || r.error.reason !== 'manifest-invalid') return;
    expect(r.error.diagnostics[0]!.message).toContain('expands too many aliases');
  });

  it('accepts a modest use of anchors and aliases', () => {
    const r = parseManifestText('x-env: &env {A: "1"}\nservices:\n  a: {env: *env}\n  b: {env: *env}\n', {
      displayFile: 'm.yaml',
    });
    expect(r.ok && r.value.data).toEqual({
      'x-env': { A: '1' },
      services: { a: { env: { A: '1' } }, b: { env: { A: '1' } } },
    });
  });
});

describe('formatDiagnostics', () => {
  const d = {
    file: '/work/p/ui-procs.yaml',
    line: 12,
    column: 11,
    length: 5,
    message: 'services.inference.port must be an integer from 1 to 65535 or "auto"',
    sourceLine: '    port: 70000',
  };

  it('prints file:line:col, the source line and a marker, relative to the cwd', () => {
    expect(formatDiagnostics([d], { color: false, cwd: '/work/p' })).toBe(
      [
        'ui-procs.yaml:12:11: services.inference.port must be an integer from 1 to 65535 or "auto"',
        '  12 |     port: 70000',
        '     |           ^~~~~',
      ].join('\n'),
    );
  });

  it('keeps absolute paths outside the cwd, prints hints, and keeps tabs under the marker', () => {
    const out = formatDiagnostics(
      [{ ...d, sourceLine: '\tport: 70000', column: 8, hint: 'did you mean "x"?' }],
      {
        color: false,
        cwd: '/elsewhere',
      },
    );
    expect(out.split('\n')).toEqual([
      '/work/p/ui-procs.yaml:12:8: services.inference.port must be an integer from 1 to 65535 or "auto"',
      '  12 | \tport: 70000',
      '     | \t      ^~~~~',
      '  did you mean "x"?',
    ]);
  });

  it('colours only when asked', () => {
    expect(formatDiagnostics([d], { color: true, cwd: '/work/p' })).toContain('\u001b[');
    expect(formatDiagnostics([d], { color: false, cwd: '/work/p' })).not.toContain('\u001b[');
  });
});

describe('resolveTargets', () => {
  const svc = (name: string) => ({ name }) as ServiceSpec;
  const desired = {
    services: { api: svc('api'), web: svc('web'), docs: svc('docs') },
    groups: { ui: ['web', 'docs'] },
  } as unknown as Desired;

  it('expands groups, keeps manifest order, drops duplicates; no targets means all', () => {
    expect(resolveTargets(desired, ['ui', 'api', 'web'])).toEqual({
      ok: true,
      value: ['api', 'web', 'docs'],
    });
    expect(resolveTargets(desired, [])).toEqual({ ok: true, value: ['api', 'web', 'docs'] });
  });

  it('does not mistake Object.prototype members for services or groups', () => {
    expect(resolveTargets(desired, ['toString']).ok).toBe(false);
  });

  it('names unknown targets and the manifest it looked in, lists what exists, suggests a near name', () => {
    expect(resolveTargets(desired, ['zzz'], 'ui-procs.yaml')).toEqual({
      ok: false,
      error: {
        reason: 'unknown-target',
        message: 'ui-procs.yaml: no service or group named "zzz" (services: api, web, docs; groups: ui)',
      },
    });
    expect(resolveTargets(desired, ['wbe', 'zzz', 'wbe', 'uii'], '../ui-procs.yaml')).toEqual({
      ok: false,
      error: {
        reason: 'unknown-target',
        message: [
          '../ui-procs.yaml: no service or group named "wbe", "zzz" or "uii" (services: api, web, docs; groups: ui)',
          '  "wbe": did you mean "web"?',
          '  "uii": did you mean "ui"?',
        ].join('\n'),
      },
    });
  });

  it('without a file name, names the manifest by its path', () => {
    const at = { ...desired, manifestPath: '/work/p/ui-procs.yaml' } as Desired;
    const r = resolveTargets(at, ['web2']);
    expect(!r.ok && 'message' in r.error && r.error.message).toBe(
      '/work/p/ui-procs.yaml: no service or group named "web2" (services: api, web, docs; groups: ui)\n  did you mean "web"?',
    );
  });

  it('shortens a long list of names, and says when there are no groups or no services', () => {
    const many = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`svc${i}`, svc(`svc${i}`)] as const),
    );
    const big = { services: many, groups: {} } as unknown as Desired;
    const r = resolveTargets(big, ['nope'], 'ui-procs.yaml');
    expect(!r.ok && 'message' in r.error && r.error.message).toBe(
      'ui-procs.yaml: no service or group named "nope" (services: svc0, svc1, svc2, svc3, svc4, svc5, svc6, svc7 and 22 more)',
    );
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`s${i}`, svc(`s${i}`)] as const));
    const r10 = resolveTargets({ services: ten, groups: {} } as unknown as Desired, ['nope'], 'm.yaml');
    expect(!r10.ok && 'message' in r10.error && r10.error.message).toBe(
      'm.yaml: no service or group named "nope" (services: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9)',
    );
    const none = resolveTargets({ services: {}, groups: {} } as unknown as Desired, ['x'], 'm.yaml');
    expect(!none.ok && 'message' in none.error && none.error.message).toBe(
      'm.yaml: no service or group named "x" (it has no services)',
    );
  });
});
