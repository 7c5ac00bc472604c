/**
 * What every command starts with: the manifest loaded (from the cache when unchanged)
 * and the command line's targets checked against it.
 */
import type { Desired, Failure, Result } from '../core/model.js';
import { ok } from '../core/model.js';
import { displayPath } from '../manifest/display.js';
import { loadManifest } from '../manifest/load.js';

/** A loaded project; `unusable` when `desired` was made from the run records (see loadProjectOrRecords). */
export interface LoadedProject {
  desired: Desired;
  targets: string[];
  unusable?: Failure;
}

export interface ProjectInput {
  file: string | undefined;
  /** Files merged over the manifest in order (`-f a.yaml -f b.yaml`). */
  overrides?: readonly string[] | undefined;
  cwd: string;
  env: Record<string, string | undefined>;
}

export async function loadProject(
  input: ProjectInput,
  targets: string[],
  /** down may name services that left the manifest but still have a record. */
  extraNames: (desired: Desired) => string[] = () => [],
): Promise<Result<{ desired: Desired; targets: string[] }>> {
  const loaded = await loadManifest(input);
  if (!loaded.ok) return loaded;
  const desired = loaded.value;
  // No targets means "all", which the plan reads from the empty list (down then also
  // stops orphans); only named targets are expanded.
  if (targets.length === 0) return ok({ desired, targets: [] });
  const extra = new Set(extraNames(desired));
  const known = targets.filter((t) => !extra.has(t));
  // resolveTargets reads [] as "all": `down old` (only orphan names) must not become `down`.
  // The target rules are loaded only when a command line names targets.
  const { resolveTargets } = await import('../manifest/rules.js');
  const file = displayPath(desired.manifestPath, input.cwd);
  const resolved = known.length > 0 ? resolveTargets(desired, known, file) : ok([]);
  if (!resolved.ok) return resolved;
  return ok({ desired, targets: [...resolved.value, ...targets.filter((t) => extra.has(t))] });
}

/**
 * `ps` and `down` without targets: the project as loadProject gives it, or, when the
 * manifest cannot be used, one made from the run records alone (records-only.ts) together
 * with the manifest's failure, which the caller prints as a warning. Targets, and a
 * manifest not found or not readable, keep the failure: they need the manifest.
 */
export async function loadProjectOrRecords(
  input: ProjectInput,
  targets: string[],
): Promise<Result<LoadedProject>> {
  const project = await loadProject(input, targets);
  if (project.ok || targets.length > 0 || project.error.reason !== 'manifest-invalid') return project;
  const { recordsOnlyProject } = await import('./records-only.js');
  const desired = await recordsOnlyProject(input);
  return desired === undefined ? project : ok({ desired, targets: [], unusable: project.error });
}
