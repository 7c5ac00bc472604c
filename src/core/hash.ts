import type { ProcessShape, ServiceSpec } from './model.js';
import { sha256Hex } from './sha256.js';

/** The part of a service that shapes its process; see ProcessShape for what is left out and why. */
export function shapeOf(spec: ServiceSpec): ProcessShape {
  return { command: spec.command, cwd: spec.cwd, env: spec.env, port: spec.port, logPath: spec.log.path };
}

/** JSON with object keys sorted, so equal shapes hash equally whatever the manifest's key order. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function configHash(shape: ProcessShape): string {
  return sha256Hex(stableStringify(shape)).slice(0, 16);
}

/**
 * Names what changed between two shapes, field by field and env key by key
 * (`command`, `env.MODEL`), so the plan's cause tells the user why a service is recreated.
 * With no previous shape (an old record) only "config changed" can be said.
 */
export function shapeChanges(before: ProcessShape | undefined, after: ProcessShape): string[] {
  if (before === undefined) return [];
  const changes: string[] = [];
  if (stableStringify(before.command) !== stableStringify(after.command)) changes.push('command');
  if (before.cwd !== after.cwd) changes.push('cwd');
  if (before.port !== after.port) changes.push('port');
  if (before.logPath !== after.logPath) changes.push('log');
  const keys = new Set([...Object.keys(before.env), ...Object.keys(after.env)]);
  for (const key of [...keys].sort()) {
    if (before.env[key] !== after.env[key]) changes.push(`env.${key}`);
  }
  return changes;
}
