import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '../..');

/**
 * Transpiles source folders (no type check, ~ms per file) into a throwaway folder under
 * `node_modules/.cache`, so a plain `node` child (Node 20 has no type stripping) can import
 * them and still resolve packages from the repo's node_modules.
 */
export function transpileForNode(folders: string[]): { dir: string; cleanup(): void } {
  const dir = join(root, 'node_modules', '.cache', `uiprocs-test-${process.pid}-${Date.now()}`);
  for (const folder of folders) {
    for (const name of readdirSync(join(root, folder))) {
      if (!name.endsWith('.ts')) continue;
      const source = readFileSync(join(root, folder, name), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      mkdirSync(join(dir, folder), { recursive: true });
      writeFileSync(join(dir, folder, name.replace(/\.ts$/, '.js')), outputText);
    }
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
