/**
 * `<state_dir>/.cpu-samples.json`: the CPU samples earlier `ps` runs took (runtime/usage.ts),
 * so the next `ps` can show recent CPU use without waiting for a second sample.
 *
 * It sits in the state dir itself, not in `run/`: every write there bumps `run/`'s mtime,
 * which tells the supervisor and watch to re-read every record (run-dir.ts), and a `ps`
 * in a loop would make them do so at each run. A leading dot keeps it out of every listing
 * of names uiprocs judges. Only a trusted state dir is read or written (ps checks); a file
 * that does not parse is simply no samples.
 */
import type { CpuSample } from '../runtime/usage.js';
import { readFileNoFollow, writeFileAtomic } from './atomic-file.js';

export function cpuSamplesPath(stateDir: string): string {
  return `${stateDir}/.cpu-samples.json`;
}

export function readCpuSamples(stateDir: string): CpuSample[] {
  const read = readFileNoFollow(cpuSamplesPath(stateDir));
  if (read.kind !== 'file') return [];
  try {
    const data = JSON.parse(read.text) as { version?: unknown; samples?: unknown };
    if (data.version !== 1 || !Array.isArray(data.samples)) return [];
    return data.samples.filter(isSample);
  } catch {
    return [];
  }
}

/** Best effort: a sample that cannot be written only costs the next `ps` a short wait. */
export function writeCpuSamples(stateDir: string, samples: readonly CpuSample[]): void {
  writeFileAtomic(cpuSamplesPath(stateDir), `${JSON.stringify({ version: 1, samples })}\n`);
}

function isSample(value: unknown): value is CpuSample {
  if (typeof value !== 'object' || value === null) return false;
  const { at, ticks } = value as { at?: unknown; ticks?: unknown };
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof ticks !== 'object' || ticks === null)
    return false;
  return Object.values(ticks).every((t) => typeof t === 'number' && Number.isFinite(t));
}
