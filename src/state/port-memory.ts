/**
 * The last port a `port: auto` service ran on, kept in `run/<name>.port` after its record
 * is gone: `down` removes the record, and without this memory the next `up` would ask
 * the kernel for a new port and every bookmarked URL of the UI would break.
 *
 * A memory, not a claim: nothing is reserved while the service is down, and a port found
 * taken at the next start is simply replaced (effects.ts says so in up's output). So every
 * failure here is harmless: an unreadable or odd file reads as "nothing remembered", and
 * a write that fails costs only the URL's stability.
 */
import { readFileNoFollow, writeFileAtomic } from './atomic-file.js';
import { checkServiceName, statePaths } from './paths.js';

const PORT_TEXT = /^([1-9][0-9]{0,4})\n?$/;

function memoryFile(stateDir: string, name: string): string | undefined {
  return checkServiceName(name).ok ? `${statePaths(stateDir).run}/${name}.port` : undefined;
}

/** The port `name` last ran on, or undefined. Never follows a symlink. */
export function rememberedPort(stateDir: string, name: string): number | undefined {
  const file = memoryFile(stateDir, name);
  if (file === undefined) return undefined;
  const read = readFileNoFollow(file);
  if (read.kind !== 'file') return undefined;
  const port = Number(PORT_TEXT.exec(read.text)?.[1]);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Remember `port` for `name` (atomically; a failure is ignored, see the module comment). */
export function rememberPort(stateDir: string, name: string, port: number): void {
  const file = memoryFile(stateDir, name);
  if (file !== undefined) writeFileAtomic(file, `${port}\n`);
}
