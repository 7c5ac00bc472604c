/**
 * The writing side of `run/<name>.health` (see health-file.ts): used by the health checks
 * of `watch` only, kept out of `ps`'s chunk.
 */
import { unlinkQuiet, writeFileAtomic } from './atomic-file.js';
import type { HealthFile } from './health-file.js';
import { healthFilePath } from './paths.js';

/** Atomic (temp file + rename): `ps` reads the old file or the new one, never a torn one. */
export function writeHealthFile(stateDir: string, file: HealthFile) {
  return writeFileAtomic(healthFilePath(stateDir, file.name), `${JSON.stringify(file)}\n`);
}

export function removeHealthFile(stateDir: string, name: string): void {
  unlinkQuiet(healthFilePath(stateDir, name));
}
