/**
 * The loader parses probably-valid manifests with js-yaml (fast, no positions) and falls
 * back to `yaml` (positions) on any problem. Both paths must agree on every valid
 * manifest, and nothing may throw on arbitrary input.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discoverManifest } from '../../src/manifest/discover.js';
import { interpolate } from '../../src/manifest/interpolate.js';
import { parseManifestText } from '../../src/manifest/parse.js';
import { runPipeline } from '../../src/manifest/pipeline.js';

const GOOD = join(import.meta.dirname, '../fixtures/manifests/good');

describe('fast and precise paths', () => {
  for (const name of readdirSync(GOOD).sort()) {
    it(`agree on ${name}`, async () => {
      const cwd = join(GOOD, name);
      const found = await discoverManifest({ cwd, env: {} });
      if (!found.ok) throw new Error(JSON.stringify(found.error));
      const envFile = join(cwd, 'env.json');
      let env: Record<string, string> = {};
      try {
        env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
      } catch {}
      const input = {
        text: readFileSync(found.value.path, 'utf8'),
        manifestPath: found.value.path,
        displayFile: 'm',
        cwd,
        env,
        ...(found.value.kind === 'package-json' ? { subtree: 'uiprocs' } : {}),
      };
      const fast = await runPipeline(input);
      const precise = await runPipeline({ ...input, precise: true });
      expect(fast.ok).toBe(true);
      expect(precise).toEqual(fast);
    });
  }
});

describe('robustness', () => {
  it('parseManifestText never throws', () => {
    const yamlish = fc.string({
      unit: fc.constantFrom(
        'a',
        ':',
        ' ',
        '\n',
        '\t',
        '-',
        '"',
        "'",
        '&',
        '*',
        '[',
        ']',
        '{',
        '}',
        '#',
        '|',
        '>',
        '1',
      ),
    });
    fc.assert(
      fc.property(yamlish, (text) => {
        parseManifestText(text, { displayFile: 'f' });
      }),
      { numRuns: 500 },
    );
  });

  it('interpolate never throws and reports problems inside the input', () => {
    const s = fc.string({ unit: fc.constantFrom('$', '{', '}', ':', '-', '?', 'A', '_', '1', ' ') });
    fc.assert(
      fc.property(s, (text) => {
        const r = interpolate(text, (n) => (n === 'A' ? 'x' : undefined));
        for (const p of r.problems) {
          expect(p.offset).toBeGreaterThanOrEqual(0);
          expect(p.offset + p.length).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
