/**
 * Whether output should carry ANSI colours. One rule for every command, exported so the CLI
 * decides once (from the stream it writes to) and passes a plain boolean down: modules below
 * the CLI never look at the environment or at TTYs themselves, which keeps them testable.
 */

/** The part of a `NodeJS.WriteStream` this decision needs (a plain object in tests). */
export interface ColorTarget {
  isTTY?: boolean;
}

/**
 * Order of precedence, most specific first:
 * 1. `FORCE_COLOR`: `0` or `false` turns colour off, any other value (even empty) turns it on.
 *    It wins over `NO_COLOR` because it is what people set for one invocation
 *    (`FORCE_COLOR=1 uiprocs logs | less -R`), while `NO_COLOR` sits in a shell profile;
 *    Node itself resolves the pair the same way.
 * 2. `NO_COLOR` with any non-empty value turns colour off (https://no-color.org: an empty
 *    value is treated as unset).
 * 3. Otherwise colour only on a terminal that is not `TERM=dumb`.
 */
export function shouldColor(stream: ColorTarget, env: Readonly<Record<string, string | undefined>>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}
