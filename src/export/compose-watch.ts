/**
 * A service's `watch:` as compose's `develop.watch` (`docker compose watch`, or `up
 * --watch`), for export/compose.ts.
 *
 * - `action: restart` → `action: restart`: the project folder is already bind-mounted, so
 *   the container sees every edit and needs no `sync` (compose's `sync+restart` would copy
 *   what is already there).
 * - A signal (`SIGHUP`) → `sync+exec` with `kill -HUP 1`: the command runs as the container's
 *   PID 1 (compose.ts execs it), so that is the process uiprocs would have signalled.
 * - `path` is the fixed part of each entry, relative to the compose file; a glob
 *   (`config/*.toml`) watches its whole folder there, said in a comment. `ignore` carries
 *   the entry's globs plus `.git/` and `node_modules/`, which uiprocs always skips; compose
 *   does not read .gitignore, so its rules are not carried over (said in a comment).
 * - debounce does not map: compose has its own (a fixed 500 ms batch).
 */
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import type { ServiceSpec } from '../core/model.js';

export function composeWatchLines(s: ServiceSpec, source: string, containerDir: string): string[] {
  if (s.watch === undefined) return [];
  const w = s.watch;
  const cwdInProject = relative(containerDir, s.cwd);
  const ignore = [...w.ignore, '.git/', 'node_modules/'];
  const lines = [
    'develop:  # watch: in the manifest (docker compose watch); .gitignore is not read by compose',
    '  watch:',
  ];
  for (const p of w.paths) {
    const scan = picomatch.scan(p);
    const base = scan.base || '.';
    const host = `./${join(source, cwdInProject, base)}`.replace(/^\.\/(\.\.\/)/, '$1');
    const glob = scan.isGlob ? `  # ${p}: compose watches the whole folder` : '';
    const fields = [`path: ${JSON.stringify(host)}`];
    if (w.action === 'restart') fields.push('action: restart');
    else {
      const target = join(s.cwd, base);
      const sig = w.action.signal.replace(/^SIG/, '');
      fields.push(
        'action: sync+exec',
        `target: ${JSON.stringify(target)}`,
        `exec: { command: ["sh", "-c", "kill -${sig} 1"] }`,
      );
    }
    fields.push(`ignore: [${ignore.map((g) => JSON.stringify(g)).join(', ')}]`);
    lines.push(`    - { ${fields.join(', ')} }${glob}`);
  }
  return lines;
}
