/**
 * Every project of this user, as `uiprocs ls` (and `dashboard --all`, the MCP server's
 * `projects`) show them: from the registry (state/registry.ts), which only says where the
 * state dirs are, and one look per project at its records (observe.ts, no repairs) and
 * its supervisor's record. Nothing is loaded from a manifest: 20 projects must stay within
 * Node's start + 60 ms.
 */
import { dashboardUrl } from '../core/format.js';
import type { System } from '../runtime/system.js';
import { tokenForUrl } from '../state/dashboard-token.js';
import { readHolder } from '../state/holder-record.js';
import { observe } from '../state/observe.js';
import { checkPrivateDir } from '../state/paths.js';
import { type RegistryEntry, readRegistry } from '../state/registry.js';

export interface ProjectRow {
  name: string;
  folder: string;
  manifest: string;
  state_dir: string;
  /** Services with a live process (its record believed). */
  running: number;
  /** The manifest's services at the last `up`, and any other with a record. */
  total: number;
  /** Who keeps its services alive now: a live supervisor or a foreground watch, else null. */
  supervised: 'supervisor' | 'watch' | null;
  /** The manifest's dashboard (`dashboard: { port }`), while its holder serves it. */
  dashboard: string | null;
  /** The project's id (the tag its processes carry). */
  id: string;
}

export interface ProjectList {
  rows: ProjectRow[];
  warnings: string[];
}

export function projectRow(entry: RegistryEntry, system: System): ProjectRow {
  // A state dir others could write to is not looked into: its records could say anything.
  const trusted = checkPrivateDir(entry.stateDir).ok;
  const observed = trusted
    ? observe(entry.stateDir, system, { repair: false })
    : { services: {}, warnings: [] };
  const names = new Set([...entry.services, ...Object.keys(observed.services)]);
  const running = Object.values(observed.services).filter((o) => o.status === 'running').length;
  const supervised = trusted ? holderOf(entry.stateDir, system, running > 0) : null;
  const dashboard =
    entry.dashboardPort !== undefined && supervised !== null && running > 0
      ? dashboardUrl(entry.dashboardPort, tokenForUrl(entry.stateDir))
      : null;
  return {
    name: entry.project,
    folder: entry.folder,
    manifest: entry.manifest,
    state_dir: entry.stateDir,
    running,
    total: names.size,
    supervised,
    dashboard,
    id: entry.id,
  };
}

/** Who holds a project's duties now: its live supervisor, else (while something runs) a live watch. */
export function holderOf(stateDir: string, system: System, running: boolean): 'supervisor' | 'watch' | null {
  if (readHolder(stateDir, 'supervisor', system).kind === 'live') return 'supervisor';
  return running && readHolder(stateDir, 'watch', system).kind === 'live' ? 'watch' : null;
}

/** The projects with something running, or (`all`) every registered one. */
export function listProjects(
  env: Record<string, string | undefined>,
  system: System,
  options: { all?: boolean } = {},
): ProjectList {
  const registry = readRegistry(env);
  const rows = registry.entries.map((e) => projectRow(e, system)).filter((r) => options.all || r.running > 0);
  return { rows, warnings: registry.warnings };
}
