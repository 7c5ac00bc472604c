import { sha256Hex } from './sha256.js';

/**
 * The project id tags every process uiprocs starts (`UIPROCS_PROJECT`): the project name
 * alone is not unique (two checkouts of one repo), so the state dir's path is folded in.
 */
export function projectId(project: string, stateDir: string): string {
  return `${project}-${sha256Hex(stateDir).slice(0, 8)}`;
}
