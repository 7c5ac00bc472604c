/**
 * Durations typed on the command line (`down --timeout 5s`), with the manifest's grammar:
 * `500ms`, `10s`, `2m`, `1h`, `1m30s`, or a plain number of seconds (`"10"`, `"0.5"`).
 */
import { parseDuration as parseManifestDuration } from './units.js';

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string | number): number | undefined {
  const t = typeof text === 'string' ? text.trim() : text;
  const value = typeof t === 'string' && /^[0-9]+(\.[0-9]+)?$/.test(t) ? Number(t) : t;
  return parseManifestDuration(value) ?? undefined;
}
