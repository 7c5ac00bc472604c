/**
 * The layout's rule, enforced: the top folders of src/ are layers, in the order
 * docs/DESIGN.md writes down (its `layers:` line, read here so the two cannot drift), and a
 * module imports only from its own folder or from a folder earlier in that order. Every
 * import counts: value, `import type`, `export … from` and dynamic `import()`. A total order
 * also means the folders form no cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The order from DESIGN.md: `layers: core < manifest < …`. */
function layers(): string[] {
  const design = readFileSync(join(root, 'docs/DESIGN.md'), 'utf8');
  const line = /^layers: (.+)$/m.exec(design);
  if (line === null) throw new Error('docs/DESIGN.md has no `layers:` line');
  return line[1]!.split('<').map((s) => s.trim());
}

/** Every relative module specifier of a file: static, type-only, re-exports and dynamic imports. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm))
    out.push(m[1]!);
  return out;
}

const topOf = (path: string) => relative(src, path).split('/')[0]!;

describe('layering', () => {
  const order = layers();
  const files = sourceFiles(src);

  it('the import reader sees every kind of import', () => {
    const text = [
      "import { a } from '../a/x.js';",
      "import type { B } from '../b/y.js';",
      'import {\n  c,\n  type D,\n} from "../c/z.js";',
      "export { e } from '../e/w.js';",
      "const f = await import('../f/v.js');",
      "import '../g/side-effect.js';",
      "const s = 'from ../not/an-import.js';",
    ].join('\n');
    expect(specifiers(text)).toEqual([
      '../a/x.js',
      '../b/y.js',
      '../c/z.js',
      '../e/w.js',
      '../f/v.js',
      '../g/side-effect.js',
    ]);
  });

  it('DESIGN.md orders every top folder of src/, each once', () => {
    const tops = [...new Set(files.map(topOf))].filter((t) => !t.endsWith('.ts')).sort();
    expect([...order].sort()).toEqual(tops);
  });

  it('no module imports from a later layer (type imports count)', () => {
    const rank = new Map(order.map((name, i) => [name, i]));
    const wrong: string[] = [];
    for (const file of files) {
      const from = topOf(file);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const to = topOf(resolve(dirname(file), spec));
        if (to === from || to.startsWith('..')) continue;
        if ((rank.get(to) ?? Number.POSITIVE_INFINITY) > (rank.get(from) ?? -1))
          wrong.push(`${relative(root, file)} → ${spec} (${from} may not import ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no source file is over 400 lines (generated code aside)', () => {
    const long = files
      .filter((file) => !file.includes('/generated/'))
      .map((file) => [relative(root, file), readFileSync(file, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });

  it('the dashboard page is split into modules of at most 400 lines, each type-checked (// @ts-check)', () => {
    const page = join(root, 'assets/dashboard');
    const modules = readdirSync(page).filter((name) => name.endsWith('.js'));
    expect(modules.length).toBeGreaterThan(1);
    const wrong = modules.flatMap((name) => {
      const text = readFileSync(join(page, name), 'utf8');
      const lines = text.split('\n').length - 1;
      return [
        ...(lines > 400 ? [`${name}: ${lines} lines`] : []),
        ...(text.startsWith('// @ts-check\n') ? [] : [`${name}: no // @ts-check`]),
      ];
    });
    expect(wrong).toEqual([]);
  });
});
