/**
 * `package.json` scripts that serve something (`dev`, `start`, `preview`, `storybook`,
 * `serve`), run through the package manager its lock file names. Vite, Next and Storybook
 * are told the port (`-- --port ${PORT}`); a script that reads `$PORT` gets it from the
 * environment; anything else gets no port, and a note to set one.
 */
import { type Found, PORT_REF, serviceName } from './draft.js';

const SERVING = ['dev', 'start', 'preview', 'storybook', 'serve'] as const;

/** The package manager the lock files name: npm when none does. */
export function packageManager(files: ReadonlySet<string>): string {
  if (files.has('pnpm-lock.yaml')) return 'pnpm';
  if (files.has('yarn.lock')) return 'yarn';
  if (files.has('bun.lockb') || files.has('bun.lock')) return 'bun';
  return 'npm';
}

function portArgs(script: string): string | undefined {
  if (/\bvite\b/.test(script)) return `--port ${PORT_REF} --strictPort`;
  if (/\bnext\b/.test(script)) return `-p ${PORT_REF}`;
  if (/\bstorybook\b/.test(script)) return `-p ${PORT_REF} --ci`;
  return undefined;
}

export function readPackageScripts(text: string, files: ReadonlySet<string>): Found {
  let pkg: { scripts?: Record<string, unknown> };
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch (error) {
    return { drafts: [], problems: [`package.json:1: not JSON (${(error as Error).message}); skipped`] };
  }
  const pm = packageManager(files);
  const found: Found = { drafts: [], problems: [] };
  for (const name of SERVING) {
    const script = pkg.scripts?.[name];
    if (typeof script !== 'string') continue;
    const args = portArgs(script);
    const run = `${pm} run ${name}${args === undefined ? '' : ` -- ${args}`}`;
    const readsPort = /\bPORT\b/.test(script);
    found.drafts.push({
      name: serviceName(name),
      command: run,
      ...(args !== undefined || readsPort ? { port: 'auto' as const } : {}),
      from: `package.json scripts.${name}: ${script}`,
      ...(args === undefined && !readsPort
        ? { notes: ['set port: to the port it serves (or auto, if it reads $PORT)'] }
        : {}),
    });
  }
  return found;
}
