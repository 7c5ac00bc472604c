/**
 * Who holds a port, in words a person with several projects can act on: a process another
 * uiprocs project started is named by its service and project, from its tag
 * (`UIPROCS_PROJECT`/`UIPROCS_SERVICE`) and the project registry (state/registry.ts):
 *
 *   port 8501 is held by service inference of project ocr-ui (~/src/ocr, pid 1234)
 *
 * Anything else keeps runtime/ports.ts's `pid 1234 (python -m http.server 8501)`. The tag
 * is only read to name the holder; the registry is read only when some owner carries one.
 * Used by up's preflight, the start's own port check and `ps` (and so the dashboard).
 */
import { homedir } from 'node:os';
import { describeOwners } from '../runtime/ports.js';
import type { PortOwner, System } from '../runtime/system.js';
import { entryById, type RegistryEntry, readRegistry } from '../state/registry.js';

type Env = Record<string, string | undefined>;

/** `~/src/ocr` for a folder under the home folder, else the absolute path. */
export function homeShort(path: string, env: Env): string {
  const home = env.HOME ?? homedir();
  return home !== '/' && (path === home || path.startsWith(`${home}/`))
    ? `~${path.slice(home.length)}`
    : path;
}

export function describeHolders(
  port: number,
  owners: readonly PortOwner[],
  system: System,
  env: Env,
): string {
  const tags = owners.map((o) => {
    const e = system.environ(o.pid);
    const project = e?.UIPROCS_PROJECT;
    const service = e?.UIPROCS_SERVICE;
    return project !== undefined && service !== undefined ? { project, service } : undefined;
  });
  if (tags.every((t) => t === undefined)) return describeOwners(port, [...owners]);
  let entries: RegistryEntry[] | undefined;
  // Workers of one service (gunicorn's, a fork of node) share its socket: one phrase, their pids.
  const phrases = new Map<string, { text: (pids: string) => string; pids: number[] }>();
  for (const [i, o] of owners.entries()) {
    const tag = tags[i];
    const key = tag === undefined ? `pid:${o.pid}` : `${tag.project}\0${tag.service}`;
    const known = phrases.get(key);
    if (known !== undefined) {
      known.pids.push(o.pid);
      continue;
    }
    if (tag === undefined) {
      phrases.set(key, { text: () => `pid ${o.pid} (${o.command})`, pids: [o.pid] });
      continue;
    }
    entries ??= readRegistry(env, { prune: false }).entries;
    const entry = entryById(entries, tag.project);
    // An unregistered tag still names the service; its project name is the id without the hash.
    const name = entry?.project ?? tag.project.replace(/-[0-9a-f]{8}$/, '');
    const where = entry === undefined ? '' : `${homeShort(entry.folder, env)}, `;
    phrases.set(key, {
      text: (pids) => `service ${tag.service} of project ${name} (${where}pid ${pids})`,
      pids: [o.pid],
    });
  }
  const who = [...phrases.values()].map((p) => p.text(p.pids.join(', ')));
  return `port ${port} is held by ${who.join(', ')}`;
}
