import { LIMIT_NAMES, type LimitName, type Limits, type ProcessShape, type ServiceSpec } from './model.js';
import { sha256Hex } from './sha256.js';

/** The part of a service that shapes its process; see ProcessShape for what is left out and why. */
export function shapeOf(spec: ServiceSpec): ProcessShape {
  const shape: ProcessShape = {
    command: spec.command,
    cwd: spec.cwd,
    env: spec.env,
    port: spec.port,
    logPath: spec.log.path,
  };
  // No `limits` key at all without a limit: the hash of such a service is the one
  // uiprocs wrote before limits existed (test/unit/sha256.test.ts pins it).
  const limits = setLimits(spec.limits);
  if (limits !== undefined) shape.limits = limits;
  return shape;
}

/** Limits.* field of each manifest name. */
const LIMIT_FIELD: Record<LimitName, keyof Limits> = {
  memory: 'memory',
  cpu: 'cpu',
  processes: 'processes',
  open_files: 'openFiles',
};

/** The limits that are set, without undefined keys (they would still change the hashed text); undefined for none. */
function setLimits(limits: Limits | undefined): Limits | undefined {
  if (limits === undefined) return undefined;
  const out: Limits = {};
  for (const name of LIMIT_NAMES) {
    const field = LIMIT_FIELD[name];
    if (limits[field] !== undefined) out[field] = limits[field];
  }
  return Object.keys(out).length === 0 ? undefined : out;
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
 * Names what changed between two shapes, field by field, env key by key and limit by
 * limit (`command`, `env.MODEL`, `limits.memory`), so the plan's cause tells the user why
 * a service is recreated. With no previous shape (an old record) only "config changed" can be said.
 */
export function shapeChanges(before: ProcessShape | undefined, after: ProcessShape): string[] {
  if (before === undefined) return [];
  const changes: string[] = [];
  if (stableStringify(before.command) !== stableStringify(after.command)) changes.push('command');
  if (before.cwd !== after.cwd) changes.push('cwd');
  if (before.port !== after.port) changes.push('port');
  if (before.logPath !== after.logPath) changes.push('log');
  // A record from disk may hold anything under `limits`: read it field by field.
  const was = (before.limits ?? {}) as Partial<Record<keyof Limits, unknown>>;
  const now = after.limits ?? {};
  for (const name of LIMIT_NAMES) {
    if (was[LIMIT_FIELD[name]] !== now[LIMIT_FIELD[name]]) changes.push(`limits.${name}`);
  }
  const keys = new Set([...Object.keys(before.env), ...Object.keys(after.env)]);
  for (const key of [...keys].sort()) {
    if (before.env[key] !== after.env[key]) changes.push(`env.${key}`);
  }
  return changes;
}
