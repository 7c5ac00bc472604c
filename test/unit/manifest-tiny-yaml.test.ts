// biome-ignore-all lint/suspicious/noTemplateCurlyInString: manifests under test contain literal ${…}
/**
 * tiny-yaml must either give up or agree exactly with `yaml` (YAML 1.2 core schema).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { tinyParse } from '../../src/manifest/tiny-yaml.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/manifests');

/** What `yaml` makes of the text, or 'error'. */
function reference(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, strict: true, merge: false });
  if (doc.errors.length > 0) return 'error';
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch {
    return 'error';
  }
}

function agrees(text: string): void {
  const mine = tinyParse(text);
  if (mine === undefined) return;
  expect(mine).toEqual(reference(text));
}

describe('tinyParse', () => {
  it('reads the subset', () => {
    const text = [
      'version: 1',
      '# comment',
      'services:',
      '  web:',
      '    command: python -m http.server ${PORT} --bind 127.0.0.1   # trailing',
      '    port: 8000',
      "    group: [ui, \"a, b\", 'it''s']",
      '    env: { A: "1", B: 2, C: true, D: }',
      '    depends_on:',
      '      - db',
      '      - "x y"',
      '    empty:',
      '    ready:',
      '      http: http://127.0.0.1:8000/health',
      '      timeout: 1.5',
      '  db:',
      '    command: "echo \\"hi\\"\\n"',
      'last: ~',
    ].join('\n');
    expect(tinyParse(text)).toEqual({
      version: 1,
      services: {
        web: {
          command: 'python -m http.server ${PORT} --bind 127.0.0.1',
          port: 8000,
          group: ['ui', 'a, b', "it's"],
          env: { A: '1', B: 2, C: true, D: null },
          depends_on: ['db', 'x y'],
          empty: null,
          ready: { http: 'http://127.0.0.1:8000/health', timeout: 1.5 },
        },
        db: { command: 'echo "hi"\n' },
      },
      last: null,
    });
    agrees(text);
  });

  it.each([
    ['block scalar', 'a: |\n  x\n'],
    ['anchor', 'a: &x 1\nb: *x\n'],
    ['tag', 'a: !!str 1\n'],
    ['multi-line plain', 'a: x\n  y\n'],
    ['tab', 'a:\n\tb: 1\n'],
    ['duplicate key', 'a: 1\na: 2\n'],
    ['map in list', 'a:\n  - b: 1\n'],
    ['hex', 'a: 0x1F\n'],
    ['exponent', 'a: 1e3\n'],
    ['nested flow', 'a: [[1]]\n'],
    ['colon in value', 'a: b: c\n'],
    ['quoted hash', 'a: "x # y"\n'],
    ['document marker', '---\na: 1\n'],
    ['empty', '# only\n'],
    ['root list', '- a\n'],
    ['bad indent', 'a:\n    b: 1\n  c: 2\n'],
    ['typed key', '1: a\n'],
    ['unclosed quote', 'a: "x\n'],
    ['merge key', '<<: {a: 1}\n'],
    ['no-break space', 'a:\n\u00a0 b: 1\n'],
    ['key starting with e', 'x: 1e3\n'],
  ])('gives up on %s', (_, text) => {
    expect(tinyParse(text)).toBeUndefined();
  });

  it('agrees with yaml on every fixture it reads', () => {
    let read = 0;
    for (const kind of ['good', 'bad']) {
      for (const name of readdirSync(join(FIXTURES, kind))) {
        let text: string;
        try {
          text = readFileSync(join(FIXTURES, kind, name, 'ui-procs.yaml'), 'utf8');
        } catch {
          continue;
        }
        if (tinyParse(text) !== undefined) read++;
        agrees(text);
      }
    }
    expect(read).toBeGreaterThan(40);
  });

  it('agrees with yaml on generated near-manifests', () => {
    const token = fc.constantFrom(
      'a',
      'b',
      'web',
      '1',
      '0',
      '-1',
      '1.5',
      '.5',
      'true',
      'null',
      '~',
      'no',
      '${X}',
      'x y',
      '"q"',
      "'s'",
      '"a, b"',
      '[a, b]',
      '{A: 1}',
      '[]',
      '{}',
      'env',
      'E',
      'e5',
      '1e3',
      '1.e2',
      '.5e1',
      '0x1',
      '.inf',
      '+1',
      '00',
      '1_0',
      '#c',
      ' #c',
      ':',
      ': ',
      '-',
      '- ',
      '"',
      "'",
      ',',
      '[',
      '{',
      'é',
    );
    const line = fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.array(token, { minLength: 1, maxLength: 4 }))
      .map(([depth, parts]) => `${'  '.repeat(depth)}${parts.join('')}`);
    const keyLine = fc
      .tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom('a', 'b', 'c', 'web', 'x y', '"k"'),
        fc.option(token),
      )
      .map(([depth, key, v]) => `${'  '.repeat(depth)}${key}:${v === null ? '' : ` ${v}`}`);
    const item = fc
      .tuple(fc.integer({ min: 0, max: 3 }), token)
      .map(([depth, v]) => `${'  '.repeat(depth)}- ${v}`);
    const doc = fc
      .array(fc.oneof(keyLine, keyLine, item, line), { minLength: 1, maxLength: 8 })
      .map((ls) => ls.join('\n'));
    fc.assert(
      fc.property(doc, (text) => agrees(text)),
      { numRuns: 3000 },
    );
  });
});
