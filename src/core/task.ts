/**
 * One-shot tasks: which services run to completion instead of staying up. Pure, tiny and
 * shared: the manifest rules, the plan, the executor's wiring, `ps`, watch and any
 * supervisor ask the same question the same way.
 *
 * A service is a task when some service depends on it with `condition: completed`
 * (compose's `service_completed_successfully`, process-compose's
 * `process_completed_successfully`). There is no explicit marker: a task nothing waits for
 * would be a service that happens to exit, and what makes "completed" mean something is
 * that a dependent waits for it.
 */
import type { DependencyCondition } from './model.js';

/** Anything with services that have `dependsOn` (a Desired, or a test's stand-in). */
interface WithDependencies {
  services: Readonly<Record<string, { dependsOn: Readonly<Record<string, DependencyCondition>> }>>;
}

/** Whether `name` is a task: some service waits for it to complete. */
export function isTask(desired: WithDependencies, name: string): boolean {
  for (const spec of Object.values(desired.services)) if (spec.dependsOn[name] === 'completed') return true;
  return false;
}

/** Every task of the manifest, for callers that ask about many services at once. */
export function taskNames(desired: WithDependencies): Set<string> {
  const out = new Set<string>();
  for (const spec of Object.values(desired.services))
    for (const [dep, condition] of Object.entries(spec.dependsOn))
      if (condition === 'completed') out.add(dep);
  return out;
}
