/**
 * The manifest as written (after the JSON Schema accepted it), before resolution.
 * Field names mirror the YAML keys so that a path in this tree is a path in the file.
 */

export type Duration = number | string;
export type Size = number | string;
export type Command = string | string[];

export interface RawLog {
  path?: string;
  max_size?: Size;
  keep?: number;
}

export interface RawReady {
  tcp?: true | number;
  http?: string;
  log?: string;
  command?: Command;
  timeout?: Duration;
  interval?: Duration;
}

export interface RawHealthcheck {
  tcp?: true | number;
  http?: string;
  command?: Command;
  interval?: Duration;
  timeout?: Duration;
  retries?: number;
  start_period?: Duration;
  /** As compose: `disable: true` turns off a healthcheck from `defaults`. */
  disable?: boolean;
}

/** `limits:` as written; the schema checked each value's shape (value-rules.ts the rest). */
export interface RawLimits {
  memory?: Size;
  cpu?: number;
  processes?: number;
  open_files?: number;
}

export type RawDependsOn =
  | string[]
  | Record<string, { condition?: 'started' | 'ready' | 'completed' } | null>;

/** Every service field; `defaults` holds the same fields but `command`. */
export interface RawServiceFields {
  port?: number | 'auto';
  group?: string | string[];
  cwd?: string;
  env?: Record<string, string | number | boolean>;
  env_file?: string | string[];
  log?: string | RawLog;
  depends_on?: RawDependsOn;
  ready?: RawReady;
  /** `false` turns off a healthcheck from `defaults`. */
  healthcheck?: RawHealthcheck | false;
  /** Merged with `defaults.limits` key by key, the service winning. */
  limits?: RawLimits;
  stop_signal?: string;
  stop_timeout?: Duration;
  restart?: 'no' | 'on-failure' | 'always';
  max_restarts?: number;
  disabled?: boolean;
  image?: string;
}

/** `watch:` as written: the short form is the list of paths. */
export type RawWatch =
  | string[]
  | { paths: string[]; ignore?: string[]; action?: string; debounce?: Duration };

export interface RawService extends RawServiceFields {
  command: Command;
  /** Per service only: what a service watches is its own. */
  watch?: RawWatch;
}

export interface RawManifest {
  version: number;
  project?: string;
  state_dir?: string;
  supervise?: boolean;
  dashboard?: { port: number };
  defaults?: RawServiceFields;
  services: Record<string, RawService>;
}

/** A path into the manifest tree: map keys and list indexes. */
export type PathSeg = string | number;
export type Path = readonly PathSeg[];

/** Renders a path the way messages show it: `services.web.env.FOO`, `services.web.group[1]`. */
export function showPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** The probe keys of `ready`; at most one may be set. */
export const PROBE_KINDS = ['tcp', 'http', 'log', 'command'] as const;

/** The probe keys of `healthcheck`; at most one may be set (`log` says nothing about health). */
export const HEALTH_PROBE_KINDS = ['tcp', 'http', 'command'] as const;
