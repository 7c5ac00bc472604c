/**
 * Semantic checks the JSON Schema cannot express, run on a manifest the schema accepted:
 * the version, ports used twice, depends_on naming no service, dependency cycles, ready
 * blocks with two probes or a tcp probe without a port, group names that shadow service
 * names, and the single values the run time would refuse (value-rules.ts). Also
 * `resolveTargets`, the same "does this name exist" question asked of command-line TARGETs.
 */
import { topoLevels } from '../core/graph.js';
import type { DependencyCondition, Desired, Diagnostic, Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { diagnostic, type Locator } from './locate.js';
import { closest, didYouMean } from './suggest.js';
import { type Path, PROBE_KINDS, type RawManifest, type RawServiceFields, showPath } from './types.js';
import { checkValues } from './value-rules.js';

/** Where an effective field comes from: the service itself, else `defaults`. */
function origin(m: RawManifest, name: string, field: keyof RawServiceFields): Path | undefined {
  if (m.services[name]?.[field] !== undefined) return ['services', name, field];
  if (m.defaults?.[field] !== undefined) return ['defaults', field];
  return undefined;
}

function effective<K extends keyof RawServiceFields>(
  m: RawManifest,
  name: string,
  field: K,
): RawServiceFields[K] {
  return m.services[name]?.[field] ?? m.defaults?.[field];
}

/** Dependency names of a service with the path of each entry, in manifest order. */
export function dependencyEntries(
  m: RawManifest,
  name: string,
): { target: string; path: Path; which: 'key' | 'value' }[] {
  const deps = effective(m, name, 'depends_on');
  const at = origin(m, name, 'depends_on');
  if (!deps || !at) return [];
  if (Array.isArray(deps))
    return deps.map((target, i) => ({ target, path: [...at, i], which: 'value' as const }));
  return Object.keys(deps).map((target) => ({ target, path: [...at, target], which: 'key' as const }));
}

/** The condition a dependency entry asks for, as resolve fills it in (default `ready`). */
export function entryCondition(m: RawManifest, name: string, target: string): DependencyCondition {
  const deps = effective(m, name, 'depends_on');
  const written = deps === undefined || Array.isArray(deps) ? undefined : deps[target]?.condition;
  return written ?? 'ready';
}

/**
 * The one-shot tasks of a raw manifest (isTask in core/model.ts says what a task is), each with the
 * first service that waits for it to complete: the rules name it, resolve needs the set.
 */
export function rawTasks(m: RawManifest): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of Object.keys(m.services))
    for (const dep of dependencyEntries(m, name))
      if (entryCondition(m, name, dep.target) === 'completed' && !out.has(dep.target))
        out.set(dep.target, name);
  return out;
}

/**
 * What a task may not say on itself: a `port` or a `ready` probe (a task is done when it
 * exits 0, nothing listens), a `restart` other than `no` (a task that ran would be run
 * again and again), and a dependent that waits for anything but its completion (`ready`
 * has no meaning for a task). The same fields inherited from `defaults` are not errors:
 * they are meant for the long-running services, and resolve leaves them off a task.
 */
function taskRules(m: RawManifest, locator: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const tasks = rawTasks(m);
  for (const [task, waiter] of tasks) {
    const own = m.services[task];
    if (own === undefined) continue; // an unknown depends_on target, reported above
    const why = `services.${task} is a one-shot task (services.${waiter} waits for it to complete)`;
    if (own.port !== undefined)
      out.push(
        diagnostic(
          locator.at(['services', task, 'port'], 'key'),
          `${why}, so it cannot have a port`,
          'a task runs to completion; give the port to a service that stays up',
        ),
      );
    if (own.ready !== undefined)
      out.push(
        diagnostic(
          locator.at(['services', task, 'ready'], 'key'),
          `${why}, so it has no ready probe: it is done when it exits 0`,
          'remove ready:, or make it a service (condition: ready) if it stays up',
        ),
      );
    if (own.restart !== undefined && own.restart !== 'no')
      out.push(
        diagnostic(
          locator.at(['services', task, 'restart']),
          `${why}, so it cannot have restart: ${own.restart}`,
          'a task that exits 0 is done; remove restart: or write restart: "no"',
        ),
      );
  }
  for (const name of Object.keys(m.services)) {
    for (const dep of dependencyEntries(m, name)) {
      const waiter = tasks.get(dep.target);
      const condition = entryCondition(m, name, dep.target);
      if (waiter === undefined || condition === 'completed') continue;
      out.push(
        diagnostic(
          locator.at(dep.path, dep.which),
          `${showPath(dep.path)} waits for ${dep.target} to be ${condition}, but ${dep.target} is a one-shot task (services.${waiter} waits for it to complete)`,
          `write "${dep.target}: { condition: completed }"`,
        ),
      );
    }
  }
  return out;
}

export function checkRules(m: RawManifest, locator: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const names = Object.keys(m.services);

  if (m.version !== 1) {
    out.push(
      diagnostic(
        locator.at(['version']),
        `version ${m.version} is not supported; this uiprocs reads version 1`,
        'write "version: 1"',
      ),
    );
  }

  // Ports: the first service to claim a port owns it; later ones are the error.
  const owner = new Map<number, string>();
  for (const name of names) {
    const port = effective(m, name, 'port');
    if (typeof port !== 'number' || effective(m, name, 'disabled') === true) continue;
    const first = owner.get(port);
    if (first === undefined) {
      owner.set(port, name);
      continue;
    }
    out.push(
      diagnostic(
        locator.at(origin(m, name, 'port') ?? ['services', name]),
        `services.${name}.port ${port} is also the port of services.${first}`,
        'two services cannot listen on one port; pick another, or "auto"',
      ),
    );
  }

  // depends_on targets must exist.
  for (const name of names) {
    for (const dep of dependencyEntries(m, name)) {
      if (Object.hasOwn(m.services, dep.target)) continue;
      out.push(
        diagnostic(
          locator.at(dep.path, dep.which),
          `${showPath(dep.path.slice(0, -1))} names "${dep.target}", which is not a service`,
          didYouMean(dep.target, names),
        ),
      );
    }
  }

  // Cycles: name the cycle and point at the entry that closes it from its first service.
  const graph = topoLevels(names, (n) => dependencyEntries(m, n).map((d) => d.target));
  if ('cycle' in graph) {
    const [first, second] = graph.cycle;
    const entry = dependencyEntries(m, first!).find((d) => d.target === second);
    out.push(
      diagnostic(
        locator.at(entry?.path ?? ['services', first!], entry?.which ?? 'key'),
        `dependency cycle: ${graph.cycle.join(' → ')}`,
        'services in a cycle can never start; remove one of these depends_on entries',
      ),
    );
  }

  for (const name of names) out.push(...readyRules(m, name, locator));
  out.push(...taskRules(m, locator));
  out.push(...checkValues(m, locator));

  // A group named like a service would make a TARGET ambiguous.
  for (const name of names) {
    const at = origin(m, name, 'group');
    const group = effective(m, name, 'group');
    if (!at || group === undefined) continue;
    const list = Array.isArray(group) ? group : [group];
    list.forEach((g, i) => {
      if (Object.hasOwn(m.services, g)) {
        out.push(
          diagnostic(
            locator.at(Array.isArray(group) ? [...at, i] : at),
            `group "${g}" has the same name as a service`,
            'a TARGET must name one thing; rename the group or the service',
          ),
        );
      }
    });
  }

  return dedupe(out).sort((a, b) => a.line - b.line || a.column - b.column);
}

function readyRules(m: RawManifest, name: string, locator: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const own = m.services[name]?.ready;
  const fromDefaults = m.defaults?.ready;
  for (const [ready, at] of [
    [own, ['services', name, 'ready']],
    [fromDefaults, ['defaults', 'ready']],
  ] as const) {
    if (!ready) continue;
    const kinds = PROBE_KINDS.filter((k) => ready[k] !== undefined);
    if (kinds.length > 1) {
      out.push(
        diagnostic(
          locator.at([...at, kinds[1]!], 'key'),
          `${showPath(at)} has both ${kinds[0]} and ${kinds[1]}; give only one probe`,
          `one of: ${PROBE_KINDS.join(', ')}`,
        ),
      );
    }
  }

  // The probe in force: the service's own, else the defaults'.
  const probeOwner = own && PROBE_KINDS.some((k) => own[k] !== undefined) ? own : fromDefaults;
  const probeAt: Path = probeOwner === own ? ['services', name, 'ready'] : ['defaults', 'ready'];
  const hasPort = effective(m, name, 'port') !== undefined;
  if (probeOwner && !hasPort) {
    if (probeOwner.tcp === true) {
      out.push(
        diagnostic(
          locator.at([...probeAt, 'tcp']),
          `${showPath([...probeAt, 'tcp'])} needs a port, but services.${name} has none`,
          'set "port:", or give the port to probe: "tcp: 8080"',
        ),
      );
    }
    // ready.http is checked once interpolated (resolve.ts): `http: ${HEALTH}` may be a path.
  }
  return out;
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.file}:${d.line}:${d.column}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Names a "no service or group named" message lists in full; beyond it, the first few and a count. */
const NAMES_LISTED = 10;
const NAMES_WHEN_SHORTENED = 8;

function listNames(names: readonly string[]): string {
  if (names.length <= NAMES_LISTED) return names.join(', ');
  return `${names.slice(0, NAMES_WHEN_SHORTENED).join(', ')} and ${names.length - NAMES_WHEN_SHORTENED} more`;
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function orList(words: readonly string[]): string {
  const q = words.map((w) => JSON.stringify(w));
  return q.length === 1 ? q[0]! : `${q.slice(0, -1).join(', ')} or ${q.at(-1)}`;
}

/**
 * Expands command-line TARGETs (service or group names) to service names, in manifest
 * order, without duplicates. No targets means every service. An unknown name is reported
 * like a manifest problem, naming the manifest it looked in (`file`: as the user should
 * see it; default the absolute path), what that manifest has, and a near name:
 *
 *     ui-procs.yaml: no service or group named "wbe" (services: web, api; groups: ui)
 *       did you mean "web"?
 */
export function resolveTargets(
  desired: Desired,
  targets: readonly string[],
  file: string = desired.manifestPath,
): Result<string[]> {
  const services = Object.keys(desired.services);
  if (targets.length === 0) return ok(services);
  const chosen = new Set<string>();
  const unknown: string[] = [];
  const groups = Object.keys(desired.groups);
  for (const t of targets) {
    if (Object.hasOwn(desired.services, t)) chosen.add(t);
    else if (Object.hasOwn(desired.groups, t)) for (const s of desired.groups[t]!) chosen.add(s);
    else if (!unknown.includes(t)) unknown.push(t);
  }
  if (unknown.length === 0) return ok(services.filter((s) => chosen.has(s)));
  const has =
    services.length === 0
      ? 'it has no services'
      : `services: ${listNames(services)}${groups.length > 0 ? `; groups: ${listNames(groups)}` : ''}`;
  const lines = [`${file}: no service or group named ${orList(unknown)} (${has})`];
  for (const t of unknown) {
    const near = closest(t, [...services, ...groups]);
    if (near !== undefined)
      lines.push(`  ${unknown.length === 1 ? '' : `${JSON.stringify(t)}: `}did you mean "${near}"?`);
  }
  return fail({ reason: 'unknown-target', message: lines.join('\n') });
}
