/**
 * Finds the manifest: `-f/--file`, else `UIPROCS_FILE`, else a search from the cwd upward
 * (cosmiconfig) for, in this order in each folder: ui-procs.yaml, ui-procs.yml, .uiprocsrc,
 * .uiprocsrc.yaml, .uiprocsrc.yml, .uiprocsrc.json, uiprocs.config.js, .mjs, .ts, and a
 * package.json with a `uiprocs` field.
 *
 * cosmiconfig costs ≈30 ms to import, so the common cases skip it: an explicit file, or a
 * ui-procs.yaml/.yml in the cwd itself (the first search places, so the answer is the
 * same). YAML and JSON files are only located here, never parsed: the loader parses them
 * with `yaml` to keep source positions. JS/TS configs are loaded here (by cosmiconfig) and
 * have no positions: their diagnostics point at line 1, column 1 of the file. A `.ts`
 * config needs the `typescript` package installed (cosmiconfig compiles it).
 */
import { statSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve, sep } from 'node:path';
import type { Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { refusal, untrusted } from './trust.js';

export const SEARCH_PLACES = [
  'ui-procs.yaml',
  'ui-procs.yml',
  '.uiprocsrc',
  '.uiprocsrc.yaml',
  '.uiprocsrc.yml',
  '.uiprocsrc.json',
  'uiprocs.config.js',
  'uiprocs.config.mjs',
  'uiprocs.config.ts',
  'package.json',
] as const;

export type ManifestKind = 'yaml' | 'package-json' | 'js';

export interface Discovered {
  /** Absolute path of the manifest file. */
  path: string;
  /** yaml: YAML or JSON text (parsed with positions); package-json: its `uiprocs` field; js: loaded. */
  kind: ManifestKind;
  /** For `js`: the value the config module exported. */
  config?: unknown;
}

export interface DiscoverOptions {
  file?: string | undefined;
  cwd: string;
  env: Record<string, string | undefined>;
}

const JS_EXT = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);
/** What our non-JS cosmiconfig loaders return: "found, parse it yourself". */
const FOUND = { uiprocsFound: true } as const;

function kindOf(path: string): ManifestKind {
  if (basename(path) === 'package.json') return 'package-json';
  return JS_EXT.has(extname(path)) ? 'js' : 'yaml';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function discoverManifest(opts: DiscoverOptions): Promise<Result<Discovered>> {
  const explicit = opts.file ?? (opts.env.UIPROCS_FILE || undefined);
  if (explicit !== undefined) {
    const path = resolve(opts.cwd, explicit);
    const from = opts.file !== undefined ? '-f/--file' : 'UIPROCS_FILE';
    if (!isFile(path)) {
      return fail({ reason: 'manifest-not-found', message: `no manifest at ${explicit} (given by ${from})` });
    }
    const kind = kindOf(path);
    return kind === 'js' ? loadJs(path) : ok({ path, kind });
  }

  for (const name of ['ui-procs.yaml', 'ui-procs.yml']) {
    const path = resolve(opts.cwd, name);
    if (isFile(path)) return trusted(path, opts.env) ?? ok({ path, kind: 'yaml' });
  }
  return search(opts.cwd, opts.env);
}

/** A refusal (exit 2) for a found manifest another user could have planted; see trust.ts. */
function trusted(path: string, env: Record<string, string | undefined>): Result<never> | undefined {
  const why = untrusted(path, env);
  return why === undefined ? undefined : fail({ reason: 'manifest-not-found', message: refusal(path, why) });
}

interface Explorer {
  search(from?: string): Promise<{ filepath: string; config: unknown; isEmpty?: boolean } | null>;
  load(path: string): Promise<{ filepath: string; config: unknown; isEmpty?: boolean } | null>;
}

async function explorer(importJs = false): Promise<Explorer> {
  const { cosmiconfig, defaultLoaders } = await import('cosmiconfig');
  const found = () => FOUND;
  // JS/TS configs are located only, like YAML: they are imported after the trust check
  // (trust.ts), never while searching.
  const jsFound = { '.js': found, '.mjs': found, '.cjs': found, '.ts': found, '.mts': found, '.cts': found };
  return cosmiconfig('uiprocs', {
    searchPlaces: [...SEARCH_PLACES],
    searchStrategy: 'global',
    stopDir: resolve('/'),
    ignoreEmptySearchPlaces: false,
    cache: false,
    loaders: {
      ...defaultLoaders,
      ...(importJs ? {} : jsFound),
      '.yaml': found,
      '.yml': found,
      noExt: found,
      '.json': (filepath: string, content: string) => {
        if (basename(filepath) !== 'package.json') return FOUND;
        try {
          const pkg = JSON.parse(content) as Record<string, unknown>;
          return pkg.uiprocs === undefined ? {} : { uiprocs: FOUND };
        } catch {
          return {};
        }
      },
    },
  }) as Explorer;
}

async function search(cwd: string, env: Record<string, string | undefined>): Promise<Result<Discovered>> {
  let result: Awaited<ReturnType<Explorer['search']>>;
  try {
    result = await (await explorer()).search(cwd);
  } catch (e) {
    return loadFailure(e);
  }
  // cosmiconfig's global strategy ends in ~/.config/uiprocs; a manifest must sit in the
  // cwd or one of its parents.
  if (result && isAncestor(dirname(result.filepath), cwd)) {
    const refused = trusted(result.filepath, env);
    if (refused) return refused;
    const kind = kindOf(result.filepath);
    return kind === 'js' ? loadJs(result.filepath) : ok({ path: result.filepath, kind });
  }
  return fail({
    reason: 'manifest-not-found',
    message:
      `no uiprocs manifest found in ${cwd} or any folder above it\n` +
      `looked for: ${SEARCH_PLACES.slice(0, -1).join(', ')}, and a "uiprocs" field in package.json\n` +
      // --file, not -f: after `logs`, -f is --follow; --file names the manifest anywhere.
      'create ui-procs.yaml, or name one with --file PATH (or set UIPROCS_FILE)',
  });
}

async function loadJs(path: string): Promise<Result<Discovered>> {
  try {
    const r = await (await explorer(true)).load(path);
    return ok({ path, kind: 'js', config: r?.config });
  } catch (e) {
    return loadFailure(e, path);
  }
}

/** A config that throws while loading is a manifest problem, at line 1 of that file. */
function loadFailure(e: unknown, path?: string): Result<never> {
  const err = e as { message?: string; filepath?: string };
  const file = err.filepath ?? path ?? 'manifest';
  const first = String(err.message ?? e).split('\n')[0] ?? '';
  return fail({
    reason: 'manifest-invalid',
    diagnostics: [
      { file, line: 1, column: 1, length: 1, message: `cannot load ${basename(file)}: ${first}` },
    ],
  });
}

function isAncestor(dir: string, of: string): boolean {
  const rel = relative(dir, of);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}
