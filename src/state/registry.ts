/**
 * The per-user registry of projects: where this user's state dirs are, so `uiprocs ls`,
 * `--project NAME`, a port clash's message and `dashboard --all` can find every project
 * from any folder (docker compose ls, pm2 ls).
 *
 * It only says where to look. What runs is always read from each state dir's records
 * (observe.ts); an entry never makes a process believed, signalled or started.
 *
 * Layout of `$XDG_STATE_HOME/uiprocs` (default `~/.local/state/uiprocs`), mode 0700:
 * ```
 * projects/<id>.json   one entry per project, id = projectId(project, stateDir)
 * dashboard.token      the session token of `uiprocs dashboard --all` (dashboard-token.ts)
 * ```
 *
 * - One file per project, written whole (atomic-file.ts): two `up`s in different projects
 *   write different files, so neither can lose the other's entry; two in the same project
 *   write the same content. `up` writes only when the entry would change.
 * - Believed only when it is ours: the dir must be a private dir of this user (paths.ts
 *   checkPrivateDir, the state dir's rule: no symlink, our uid, no group/other bits), the
 *   file is read without following a symlink, and the entry's id must be the one its state
 *   dir and name make, under its own file name (a copied or edited entry is not believed).
 * - Pruned as it is read: an entry whose folder, manifest or state dir is gone, or whose state
 *   dir holds nothing (no run record, no log), is removed (only the file that was read).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { projectId } from '../core/identity.js';
import { type Desired, fail, ok, type Result } from '../core/model.js';
import { readFileNoFollow, unlinkIfSame, writeFileAtomic } from './atomic-file.js';
import { checkPrivateDir, makePrivateDir } from './paths.js';

export interface RegistryEntry {
  version: 1;
  /** projectId(project, stateDir): the tag its processes carry, and the file's name. */
  id: string;
  project: string;
  /** Absolute path of the manifest, and the files merged over it (`-f a -f b`), if any. */
  manifest: string;
  overrides?: string[];
  /** The manifest's folder. */
  folder: string;
  stateDir: string;
  /** The manifest's services at the last `up` (the "total" of `ls`; the records say what runs). */
  services: string[];
  /** `dashboard: { port }` of the manifest at the last `up`. */
  dashboardPort?: number;
}

type Env = Record<string, string | undefined>;

/** `$XDG_STATE_HOME/uiprocs`, or `~/.local/state/uiprocs` (a relative XDG_STATE_HOME is ignored, as the spec says). */
export function registryRoot(env: Env): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'uiprocs');
  const home = env.HOME !== undefined && isAbsolute(env.HOME) ? env.HOME : homedir();
  return join(home, '.local', 'state', 'uiprocs');
}

function projectsDir(env: Env): string {
  return join(registryRoot(env), 'projects');
}

/** The entry `up` writes for a project. */
function entryFor(desired: Desired): RegistryEntry {
  return {
    version: 1,
    id: projectId(desired.project, desired.stateDir),
    project: desired.project,
    manifest: desired.manifestPath,
    ...(desired.overrideFiles !== undefined && desired.overrideFiles.length > 0
      ? { overrides: desired.overrideFiles }
      : {}),
    folder: desired.projectDir,
    stateDir: desired.stateDir,
    services: Object.keys(desired.services),
    ...(desired.dashboard !== undefined ? { dashboardPort: desired.dashboard.port } : {}),
  };
}

/**
 * Write the project's entry unless it already says the same. The registry dir is made
 * private (0700) as the state dir is; one that is not ours or too open is refused.
 */
export function registerProject(desired: Desired, env: Env): Result<void> {
  const entry = entryFor(desired);
  const text = `${JSON.stringify(entry, null, 2)}\n`;
  const dir = projectsDir(env);
  const path = join(dir, `${entry.id}.json`);
  const now = readFileNoFollow(path);
  if (now.kind === 'file' && now.text === text) return ok(undefined);
  for (const d of [registryRoot(env), dir]) {
    const made = makePrivateDir(d);
    if (!made.ok) return made;
  }
  return writeFileAtomic(path, text);
}

export interface RegistryRead {
  entries: RegistryEntry[];
  /** Why the registry, or one file of it, was not believed. */
  warnings: string[];
}

/** Every believed entry, pruning the dead ones (unless `prune: false`), sorted by name then folder. */
export function readRegistry(env: Env, options: { prune?: boolean } = {}): RegistryRead {
  const out: RegistryRead = { entries: [], warnings: [] };
  const dir = projectsDir(env);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out; // no registry yet: no project was ever started by this user
  }
  for (const d of [registryRoot(env), dir]) {
    const trusted = checkPrivateDir(d);
    if (!trusted.ok) {
      const why = 'message' in trusted.error ? trusted.error.message : String(trusted.error.reason);
      out.warnings.push(`the project registry is not believed: ${why.replace('state dir', 'folder')}`);
      return out;
    }
  }
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const path = join(dir, name);
    const read = readFileNoFollow(path);
    if (read.kind !== 'file') continue;
    const entry = parseEntry(read.text, name.slice(0, -'.json'.length));
    if (entry === undefined) {
      out.warnings.push(`${path}: not a project entry; ignored`);
      continue;
    }
    if (isAlive(entry)) out.entries.push(entry);
    else if (options.prune !== false) unlinkIfSame(path, read.ino, read.dev);
  }
  // Code-unit order, not localeCompare: its first call loads ICU's collator, 15 ms of `ls`.
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  out.entries.sort((a, b) => order(a.project, b.project) || order(a.folder, b.folder));
  return out;
}

/**
 * The entries a `--project` value names: by project name, else by folder (`folder`: the
 * value resolved against the cwd). Two checkouts of one repo share a name: both are
 * returned, and the caller asks for the folder.
 */
export function findProject(
  entries: readonly RegistryEntry[],
  name: string,
  folder: string,
): RegistryEntry[] {
  const byName = entries.filter((e) => e.project === name);
  if (byName.length > 0) return byName;
  return entries.filter((e) => e.folder === folder);
}

/** The entry of the project whose processes carry tag `id`, if registered. */
export function entryById(entries: readonly RegistryEntry[], id: string): RegistryEntry | undefined {
  return entries.find((e) => e.id === id);
}

function parseEntry(text: string, fileId: string): RegistryEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Partial<RegistryEntry>;
  const str = (x: unknown): x is string => typeof x === 'string' && x !== '';
  if (
    e.version !== 1 ||
    !str(e.id) ||
    !str(e.project) ||
    !str(e.manifest) ||
    !str(e.folder) ||
    !str(e.stateDir)
  )
    return undefined;
  if (!isAbsolute(e.manifest) || !isAbsolute(e.folder) || !isAbsolute(e.stateDir)) return undefined;
  if (!Array.isArray(e.services) || !e.services.every(str)) return undefined;
  if (e.overrides !== undefined && !(Array.isArray(e.overrides) && e.overrides.every(str))) return undefined;
  if (e.dashboardPort !== undefined && !Number.isInteger(e.dashboardPort)) return undefined;
  // The id is made from the name and the state dir: an entry cannot claim another project's tag.
  if (e.id !== fileId || projectId(e.project, e.stateDir) !== e.id) return undefined;
  return e as RegistryEntry;
}

/** The folder, manifest and state dir are there, and the state dir holds a record or a log. */
function isAlive(e: RegistryEntry): boolean {
  const isDir = (p: string) => {
    try {
      return lstatSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const has = (p: string, keep: (n: string) => boolean) => {
    try {
      return readdirSync(p).some(keep);
    } catch {
      return false;
    }
  };
  if (!isDir(e.folder) || !isDir(e.stateDir)) return false;
  try {
    lstatSync(e.manifest);
  } catch {
    return false;
  }
  return (
    has(join(e.stateDir, 'run'), (n) => n.endsWith('.json') && !n.startsWith('.')) ||
    has(join(e.stateDir, 'logs'), (n) => !n.startsWith('.'))
  );
}

/** A usage failure for `--project NAME` that names none or several. */
export function projectNotFound(asked: string, entries: readonly RegistryEntry[]): Result<never> {
  const known = [...new Set(entries.map((e) => e.project))];
  return fail({
    reason: 'usage',
    message:
      known.length === 0
        ? `--project ${asked}: no project is registered for this user yet (a project is registered by its first \`uiprocs up\`)`
        : `--project ${asked}: no such project; registered: ${known.join(', ')} (\`uiprocs ls --all\` lists them)`,
  });
}
