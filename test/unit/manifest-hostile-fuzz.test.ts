/**
 * Hostile manifests, in process for volume: random and mutated YAML (the good fixtures
 * with lines deleted or duplicated, indentation swapped, random characters inserted,
 * values of random types put at random places) through `loadManifest`. It never throws,
 * never hangs, and every answer is either a manifest or a manifest Failure (exit 2) whose
 * diagnostics are located: a file named, line ≥ 1, column ≥ 1.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor, type Result } from '../../src/core/model.js';
import { loadManifest } from '../../src/manifest/load.js';

const goodDir = resolve(import.meta.dirname, '../fixtures/manifests/good');
const fixtures = readdirSync(goodDir)
  .filter((d) => readdirSync(join(goodDir, d)).includes('ui-procs.yaml'))
  .map((d) => ({ name: d, text: readFileSync(join(goodDir, d, 'ui-procs.yaml'), 'utf8') }));

const work = mkdtempSync(join(tmpdir(), 'uiprocs-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
for (const f of fixtures) cpSync(join(goodDir, f.name), join(work, f.name), { recursive: true });
const env = { XDG_CACHE_HOME: join(work, '.cache'), HOME: work, PATH: process.env.PATH, MODEL: 'small' };

/** Per case: the loader's answer must come well within this (a hang fails the test). */
const CASE_BOUND_MS = 2000;
const counts = { cases: 0, ok: 0, invalid: 0, slowestMs: 0 };

async function load(dir: string, text: string): Promise<Result<unknown>> {
  const file = join(dir, 'ui-procs.yaml');
  writeFileSync(file, text);
  const t0 = performance.now();
  const r = await loadManifest({ file, cwd: dir, env });
  const ms = performance.now() - t0;
  counts.cases++;
  counts.slowestMs = Math.max(counts.slowestMs, Math.round(ms));
  expect(ms, `took ${ms} ms on:\n${text}`).toBeLessThan(CASE_BOUND_MS);
  return r;
}

function expectLocatedOrOk(r: Result<unknown>, text: string): void {
  if (r.ok) {
    counts.ok++;
    return;
  }
  counts.invalid++;
  const f = r.error;
  expect(exitCodeFor(f), `${JSON.stringify(f)}\non:\n${text}`).toBe(2);
  expect(f.reason, text).toBe('manifest-invalid');
  if (f.reason !== 'manifest-invalid') return;
  expect(f.diagnostics.length).toBeGreaterThan(0);
  for (const d of f.diagnostics) {
    // Into the manifest, or into an env file the manifest names (a mutation may point
    // env_file at any file: /etc/passwd is located line by line, as it should be).
    const named = d.file.length > 0 && text.includes(d.file.split('/').pop()!);
    expect(/ui-procs\.yaml$/.test(d.file) || named, `${d.file} on:\n${text}`).toBe(true);
    expect(d.line, `${d.message}\non:\n${text}`).toBeGreaterThanOrEqual(1);
    expect(d.column, `${d.message}\non:\n${text}`).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
  }
}

const junkValue = fc.constantFrom(
  '[]',
  '{}',
  'null',
  '~',
  '123',
  '-1',
  '1e999',
  '0x1F',
  'true',
  '"str"',
  "'q'",
  '*nope',
  '&a x',
  '!!binary aGk=',
  '!tag x',
  '|',
  '>-',
  '[[[[',
  '{a: [1, {b: }]}',
  '"\\u0000"',
  '$' + '{UNSET}',
  '$' + '{PORT:-x}',
  '../../x',
  '/etc/passwd',
  '- a',
  '? k',
);

type Mutation =
  | { kind: 'delete' | 'duplicate' | 'indent' | 'dedent' | 'tab'; line: number }
  | { kind: 'insert'; at: number; ch: string }
  | { kind: 'value'; line: number; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('delete', 'duplicate', 'indent', 'dedent', 'tab' as const),
    line: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    ch: fc.constantFrom(
      ':',
      '-',
      ' ',
      '\n',
      '\t',
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
      '!',
      '%',
      '@',
      '`',
      '\0',
      'é',
      '\uFEFF',
      '$',
    ),
  }),
  fc.record({ kind: fc.constant('value' as const), line: fc.nat(), value: junkValue }),
);

function mutate(text: string, ms: Mutation[]): string {
  let lines = text.split('\n');
  for (const m of ms) {
    if (m.kind === 'insert') {
      const joined = lines.join('\n');
      const at = m.at % (joined.length + 1);
      lines = `${joined.slice(0, at)}${m.ch}${joined.slice(at)}`.split('\n');
      continue;
    }
    const i = m.line % Math.max(1, lines.length);
    const line = lines[i] ?? '';
    switch (m.kind) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, line);
        break;
      case 'indent':
        lines[i] = `  ${line}`;
        break;
      case 'dedent':
        lines[i] = line.replace(/^ {1,2}/, '');
        break;
      case 'tab':
        lines[i] = line.replace(/^ +/, '\t');
        break;
      case 'value': {
        const colon = line.indexOf(': ');
        lines[i] = colon >= 0 ? `${line.slice(0, colon + 2)}${m.value}` : `${line}${m.value}`;
        break;
      }
    }
  }
  return lines.join('\n');
}

describe('hostile manifests through loadManifest', () => {
  // The first load imports the parser and validator (cold: up to a second or two on a busy
  // machine); the per-case bound is about the loader, so warm it up first.
  beforeAll(async () => {
    await loadManifest({ file: join(work, 'minimal', 'ui-procs.yaml'), cwd: join(work, 'minimal'), env });
  });

  it('mutated good fixtures: ok or a located exit-2 diagnostic, never a throw or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fixtures),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (fixture, ms) => {
          const text = mutate(fixture.text, ms);
          expectLocatedOrOk(await load(join(work, fixture.name), text), text);
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);

  it('random YAML-ish text and random structures under services: never a throw or a hang', async () => {
    const dir = join(work, 'minimal');
    const yamlish = fc.string({
      unit: fc.constantFrom(
        'a',
        'services',
        'command',
        'version: 1\n',
        ':',
        ' ',
        '  ',
        '\n',
        '-',
        '"',
        '&x',
        '*x',
        '[',
        ']',
        '{',
        '}',
        '#',
        '|',
        '1',
        '!',
        '$' + '{A}',
      ),
      maxLength: 200,
    });
    await fc.assert(
      fc.asyncProperty(yamlish, async (text) => expectLocatedOrOk(await load(dir, text), text)),
      { numRuns: 300 },
    );
    const anyValue = fc.jsonValue({ maxDepth: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 4 }),
        async (services) => {
          const text = `version: 1\nservices: ${JSON.stringify(services)}\n`;
          expectLocatedOrOk(await load(dir, text), text);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it('a billion-laughs alias bomb is refused in well under a second', async () => {
    const levels = Array.from({ length: 12 }, (_, i) =>
      i === 0
        ? 'x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
        : `x-l${i}: &l${i} [${Array(10)
            .fill(`*l${i - 1}`)
            .join(',')}]`,
    );
    const text = `version: 1\n${levels.join('\n')}\nservices:\n  web:\n    command: a\n    env: { X: *l11 }\n`;
    const t0 = performance.now();
    const r = await load(join(work, 'minimal'), text);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.ok).toBe(false);
    expectLocatedOrOk(r, text);
    if (!r.ok && r.error.reason === 'manifest-invalid')
      expect(r.error.diagnostics[0]!.message).toMatch(/alias/);
  });

  afterAll(() =>
    console.log(
      `manifest fuzz: ${counts.cases} cases (${counts.ok} ok, ${counts.invalid} located failures), slowest ${counts.slowestMs} ms`,
    ),
  );
});
