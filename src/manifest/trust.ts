/**
 * Whether a manifest that discovery found may be read (issue #20, item 2), after git's
 * `safe.directory`: a manifest is code-adjacent (a JS/TS config IS code, a YAML one names
 * commands), so one planted by another user in a shared folder must not be read by you,
 * least of all by root running `uiprocs ps` below it.
 *
 * A found manifest is refused when
 *   - the file is owned by someone other than you or root, or
 *   - its folder is owned by someone other than you or root (they can swap the file), or
 *   - its folder is world-writable without the sticky bit (anyone can swap the file).
 * "You" is the effective uid; under sudo (euid 0) SUDO_UID counts as you too, as in git.
 * Trusted anyway: a manifest named explicitly (-f/--file, UIPROCS_FILE), or one whose path,
 * or a folder above it, is listed in UIPROCS_TRUST (`:`-separated; `*` trusts every path).
 *
 * Cost: two stat calls, no module loads, so `ps` stays near Node's start.
 */
import { type Stats, statSync } from 'node:fs';
import { delimiter, dirname, resolve, sep } from 'node:path';

const STICKY = 0o1000;
const WORLD_WRITE = 0o002;

/** Why the manifest at `path` is not trusted, or undefined when it is. */
export function untrusted(path: string, env: Record<string, string | undefined>): string | undefined {
  if (listed(path, env.UIPROCS_TRUST)) return undefined;
  const me = process.geteuid?.();
  if (me === undefined) return undefined; // no uids (Windows): nothing to compare
  const owners = new Set([me, 0]);
  const sudo = Number(env.SUDO_UID);
  if (me === 0 && Number.isInteger(sudo)) owners.add(sudo);
  const dir = dirname(path);
  let file: Stats;
  let folder: Stats;
  try {
    file = statSync(path);
    folder = statSync(dir);
  } catch {
    return undefined; // vanished: the reader reports it
  }
  if (!owners.has(file.uid)) return `it is owned by another user (uid ${file.uid})`;
  if (!owners.has(folder.uid)) return `its folder ${dir} is owned by another user (uid ${folder.uid})`;
  if ((folder.mode & WORLD_WRITE) !== 0 && (folder.mode & STICKY) === 0)
    return `its folder ${dir} is writable by every user and has no sticky bit`;
  return undefined;
}

function listed(path: string, list: string | undefined): boolean {
  if (!list) return false;
  for (const entry of list.split(delimiter)) {
    if (entry === '') continue;
    if (entry === '*') return true;
    const p = resolve(entry);
    if (path === p || path.startsWith(p.endsWith(sep) ? p : p + sep)) return true;
  }
  return false;
}

/** The located refusal: names the file, says why, and how to trust it. */
export function refusal(path: string, why: string): string {
  return (
    `refusing to read ${path}: ${why}\n` +
    'another user could have put it there, and uiprocs would run what it says.\n' +
    `to trust it: UIPROCS_TRUST=${path} (a ":"-separated list of files or folders), or name it with --file ${path}`
  );
}
