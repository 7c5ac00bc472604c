/**
 * The time window of `logs --since/--until` and of the MCP `logs` tool, read one way for both.
 */
import { fail, ok, type Result } from '../core/model.js';
import { parseDuration } from '../manifest/duration.js';

/**
 * `--since` / `--until` as wall-clock ms: a duration back from now (`10m`, `1h30m`, `90`
 * seconds) or a date and time (`2026-12-06T12:00:00`, local time unless it says `Z` or an
 * offset, as `docker compose logs --since` reads it).
 */
export function timeWindow(
  since: string | undefined,
  until: string | undefined,
  now: number,
  /** How a message names the value: `--since` for the CLI, `since` for a tool's argument. */
  label: (flag: 'since' | 'until') => string = (flag) => `--${flag}`,
): Result<{ since?: number; until?: number }> {
  const out: { since?: number; until?: number } = {};
  for (const [flag, text] of [
    ['since', since],
    ['until', until],
  ] as const) {
    if (text === undefined) continue;
    const ago = /^\d/.test(text) && !/^\d{4}-/.test(text) ? (parseDuration(text) ?? null) : null;
    const at = ago !== null ? now - ago : Date.parse(text);
    if (Number.isNaN(at))
      return fail({
        reason: 'usage',
        message: `${label(flag)} ${text}: expected a duration back from now (10m, 2h) or a date and time (2026-12-06T12:00:00)`,
      });
    out[flag] = at;
  }
  return ok(out);
}
