/**
 * The manifest error corpus: every folder under test/fixtures/manifests/bad holds a
 * ui-procs.yaml (and maybe env files) and expected.txt, the exact diagnostics uiprocs
 * prints for it. The good corpus holds valid manifests and expected.json, the resolved
 * desired state (`toPlain`), with the fixture folder written as <DIR>.
 *
 * UPDATE_GOLDEN=1 rewrites the expected files; read every changed one before committing:
 * they are the specification of uiprocs' error output.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/load.js';
import { toPlain } from '../../src/manifest/print.js';
import { formatDiagnostics } from '../../src/ui/diagnostic.js';

const ROOT = join(import.meta.dirname, '../fixtures/manifests');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function cases(kind: 'bad' | 'good'): string[] {
  return readdirSync(join(ROOT, kind)).sort();
}

/** A controlled environment: no cache, plus the case's env.json when present. */
function envFor(dir: string): Record<string, string> {
  const extra = existsSync(join(dir, 'env.json'))
    ? (JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as Record<string, string>)
    : {};
  return { HOME: '/nonexistent', UIPROCS_NO_CACHE: '1', ...extra };
}

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .filter((f) => f !== 'expected.txt')
    .sort();
}

describe('bad manifests', () => {
  it('has a corpus of at least 35 cases', () => {
    expect(cases('bad').length).toBeGreaterThanOrEqual(35);
  });

  for (const name of cases('bad')) {
    it(name, async () => {
      const dir = join(ROOT, 'bad', name);
      const before = tree(dir);
      const r = await loadManifest({ cwd: dir, env: envFor(dir) });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.reason).toBe('manifest-invalid');
      if (r.error.reason !== 'manifest-invalid') return;
      const out = `${formatDiagnostics(r.error.diagnostics, { color: false, cwd: dir })}\n`;
      expect(out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
      const expectedFile = join(dir, 'expected.txt');
      if (UPDATE) writeFileSync(expectedFile, out);
      expect(out).toBe(readFileSync(expectedFile, 'utf8'));
      expect(tree(dir)).toEqual(before);
    });
  }
});

describe('good manifests', () => {
  for (const name of cases('good')) {
    it(name, async () => {
      const dir = join(ROOT, 'good', name);
      const r = await loadManifest({ cwd: dir, env: envFor(dir) });
      if (!r.ok) {
        const detail =
          r.error.reason === 'manifest-invalid'
            ? formatDiagnostics(r.error.diagnostics, { color: false, cwd: dir })
            : JSON.stringify(r.error);
        expect.fail(detail);
        return;
      }
      const json = `${JSON.stringify(toPlain(r.value), null, 2).split(dir).join('<DIR>')}\n`;
      const expectedFile = join(dir, 'expected.json');
      if (UPDATE) writeFileSync(expectedFile, json);
      expect(json).toBe(readFileSync(expectedFile, 'utf8'));
    });
  }
});
