/**
 * Parsing of the manifest's small value languages: durations, sizes and signal names.
 * The schema already checked the shapes; these turn accepted text into numbers.
 */

const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `500ms`, `10s`, `2m`, `1h`, `1m30s` or a number of seconds → milliseconds (rounded).
 * Returns null for text the schema would have refused, so callers can fail loudly.
 */
export function parseDuration(value: number | string): number | null {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null;
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(value)) return null;
  let total = 0;
  for (const m of value.matchAll(DURATION_PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

const SIZE = /^([0-9]+(?:\.[0-9]+)?) ?([KkMmGg]i?[Bb]?|[Bb])?$/;
const SIZE_FACTOR: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * `512KB`, `10MB`, `1GB`, `10M`, `1MiB` or a number of bytes → bytes. Units are binary
 * (1KB = 1024 bytes), as logrotate reads them: a log size is not a disk vendor's size.
 */
export function parseSize(value: number | string): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : null;
  const m = SIZE.exec(value);
  if (!m) return null;
  const unit = (m[2] ?? 'b')[0]!.toLowerCase();
  return Math.round(Number(m[1]) * SIZE_FACTOR[unit]!);
}

/** `term`, `TERM`, `SIGTERM` → `SIGTERM`: one spelling for records, hashes and kill(2). */
export function normaliseSignal(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}
