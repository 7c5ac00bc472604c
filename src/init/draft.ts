/**
 * What `uiprocs init` finds in a folder, before it is YAML: one Draft per service, with the
 * file it came from (its comment in the manifest), and the problems met on the way, each
 * `file:line: what`. Every reader (procfile.ts, package-scripts.ts, pm2.ts, compose-file.ts,
 * detect.ts) is a function of the folder's files to a Found, and never throws.
 */
export interface Draft {
  name: string;
  command: string | string[];
  port?: 'auto' | number;
  cwd?: string;
  env?: Record<string, string>;
  dependsOn?: string[];
  restart?: 'no' | 'on-failure' | 'always';
  maxRestarts?: number;
  ready?: { http: string; timeout?: string };
  /** Where it came from, for its comment: `Procfile: web`, `package.json scripts.dev`. */
  from: string;
  /** More comment lines (an image that is not run, a port to check). */
  notes?: string[];
}

export interface Found {
  drafts: Draft[];
  /** `Procfile:3: no "name: command" on this line; skipped`. */
  problems: string[];
  /** Comment lines for the whole file (what was seen but not turned into a service). */
  notes?: string[];
}

export const NOTHING: Found = { drafts: [], problems: [] };

/** A service name the manifest accepts, made from any label. */
export function serviceName(label: string): string {
  const name = label
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.\.+/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '');
  return name === '' ? 'app' : name;
}

/** How a command names its port in a manifest: uiprocs interpolates it at start. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax, written into the manifest
export const PORT_REF = '${PORT}';

/** `$PORT` and `${PORT}` in a command, written as uiprocs interpolates them. */
export function withPort(command: string): { command: string; usesPort: boolean } {
  const usesPort = /\$\{?PORT\b\}?/.test(command);
  return { command: command.replace(/\$\{PORT\}|\$PORT\b/g, PORT_REF), usesPort };
}
