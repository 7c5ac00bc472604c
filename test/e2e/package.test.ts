/**
 * The package as npm delivers it. `npm pack` of a fresh, unbuilt clone (freshCopy: no
 * dist/) must build it (prepack) and pack the bundle; `npm install -g --prefix` of that
 * tarball must install one package and fetch nothing (every library is inside the bundle);
 * and the installed `uiprocs` must run up / ps / down from a folder of its own, where no
 * node_modules of this checkout can be found. Before: a 5-file package whose binary said
 * "Cannot find module '../dist/cli/main.cjs'", and 53 packages when it was built.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freshCopy } from '../helpers/fresh-copy.js';
import { type CommandResult, runAsUser } from '../helpers/user-command.js';
import { waitFor } from '../helpers/wait.js';
import { answers, e2eProject, isGone, programs } from './harness.js';

/** Node's own folder first on PATH: the installed bin starts with `#!/usr/bin/env node`. */
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

/** npm as a user runs it (see runAsUser), with this Node first on PATH. */
const npm = (args: string[], cwd: string): Promise<CommandResult> => runAsUser('npm', args, cwd, { PATH });

interface Packed {
  filename: string;
  files: Array<{ path: string }>;
}

/** Every `.cjs` file under `dir`. */
function chunks(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.cjs'))
    .map((f) => join(dir, f));
}

/** The module names a bundle file asks for with a literal require() or import(). */
function specifiers(code: string): string[] {
  return [...code.matchAll(/\b(?:require|import)\((["'])([^"']+)\1\)/g)].map((m) => m[2]!);
}

describe('npm pack → npm install -g → uiprocs', () => {
  const work = mkdtempSync(join(tmpdir(), 'uiprocs-pack-'));
  const clone = join(work, 'clone');
  const prefix = join(work, 'prefix');
  const installed = join(prefix, 'lib/node_modules/uiprocs');
  let pack: CommandResult;
  let packed: Packed;
  let install: CommandResult;

  beforeAll(async () => {
    freshCopy(clone);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    pack = await npm(['pack', '--json', '--pack-destination', work], clone);
    expect(pack.code, pack.stderr).toBe(0);
    packed = (JSON.parse(pack.stdout) as Packed[])[0]!;
    install = await npm(
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--offline',
        '--no-audit',
        '--no-fund',
        join(work, packed.filename),
      ],
      work,
    );
  }, 240_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('packs the bundle it built, quietly, and nothing else: no source maps, no sources', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain('dist/cli/main.cjs');
    expect(paths).toContain('bin/uiprocs.js');
    expect(paths).toContain('bin/package.json');
    expect(paths).toContain('schemas/ui-procs.schema.json');
    // The dashboard's page, served from the package (dist/cli → ../../assets/dashboard).
    expect(paths).toContain('assets/dashboard/index.html');
    for (const path of paths) {
      expect(path).toMatch(
        /^(bin\/|dist\/.*\.cjs$|schemas\/|assets\/dashboard\/|README\.md$|package\.json$)/,
      );
    }
    // The build behind the pack prints nothing; what is left is npm's own "> script" lines.
    const said = pack.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('> '));
    expect(said).toEqual([]);
  });

  it('installs as one package, with nothing to fetch, and the bundle needs nothing outside it', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/\badded 1 package\b/);
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.dependencies ?? {}).toEqual({});
    // Every module a chunk loads is a Node built-in or a file of the package; `typescript`
    // only for a uiprocs.config.ts, which cosmiconfig compiles with the user's typescript.
    const missing: string[] = [];
    for (const file of chunks(join(installed, 'dist'))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const ok = spec.startsWith('.')
          ? existsSync(resolve(dirname(file), spec))
          : isBuiltin(spec) || spec === 'typescript';
        if (!ok) missing.push(`${relative(installed, file)}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the installed uiprocs runs up / ps / down from another folder', async () => {
    const bin = join(prefix, 'bin/uiprocs');
    const p = e2eProject(undefined, { cli: [bin] });
    try {
      const version = await p.run(['--version'], { PATH });
      expect(version.code, version.stderr).toBe(0);
      expect(version.stdout.trim()).toContain(
        (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { version: string }).version,
      );

      p.write(`services:\n  web: { command: [node, ${join(programs, 'serve.mjs')}], port: auto }\n`);
      const up = await p.run(['up'], { PATH });
      expect(up.code, up.stderr).toBe(0);
      const ps = await p.run(['ps', '--json'], { PATH });
      expect(ps.code, ps.stderr).toBe(0);
      const [row] = JSON.parse(ps.stdout) as StatusRow[];
      expect(row?.status).toBe('running');
      const port = row!.port!;
      const pid = row!.pid!;
      expect(await answers(port)).toBe(true);
      expect(p.tagged()).toEqual([pid]);

      const down = await p.run(['down'], { PATH });
      expect(down.code, down.stderr).toBe(0);
      expect(p.tagged()).toEqual([]);
      expect(isGone(pid)).toBe(true);
      expect(await answers(port)).toBe(false);
    } finally {
      await p.cleanup();
    }
  });

  it('the installed dashboard serves its page from the package', async () => {
    const p = e2eProject(undefined, { cli: [join(prefix, 'bin/uiprocs')] });
    try {
      p.write(`services:\n  web: { command: [node, ${join(programs, 'serve.mjs')}], port: auto }\n`);
      const child = p.start(['dashboard'], { PATH });
      let out = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const url = await waitFor(() => /dashboard: (\S+)/.exec(out)?.[1], {
        timeout: 10_000,
        what: 'its URL',
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(readFileSync(join(installed, 'assets/dashboard/index.html'), 'utf8'));
    } finally {
      await p.cleanup();
    }
  });
});
