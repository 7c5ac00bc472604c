import { createHash } from 'node:crypto';

/**
 * The project id tags every process uiprocs starts (`UIPROCS_PROJECT`): the project name
 * alone is not unique (two checkouts of one repo), so the state dir's path is folded in.
 */
export function projectId(project: string, stateDir: string): string {
  return `${project}-${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}`;
}
