/**
 * Compose-style variable interpolation, on one string at a time.
 *
 * - `$$` is a literal `$`.
 * - `${VAR}` and `$VAR`: the value; unset is an error (a problem, never a throw).
 * - `${VAR:-default}`: default when VAR is unset or empty; `${VAR-default}`: only when unset.
 * - `${VAR:?message}` / `${VAR?message}`: an error with that message when unset (or empty).
 * - Defaults may themselves contain `${…}`.
 * - A `$` that starts nothing (`$1`, `$@`, `$(`, a trailing `$`) is kept as is, so shell
 *   snippets like `awk '{print $1}'` work without doubling; compose rejects those, we
 *   need not.
 *
 * Problems carry the offset and length of the expression in the input, so the caller
 * can point at `${VAR}` inside the YAML scalar.
 */

export interface InterpolationProblem {
  offset: number;
  length: number;
  /** The variable name, when the problem is an unset variable. */
  variable?: string;
  kind: 'unset' | 'syntax' | 'required';
  message: string;
}

export interface Interpolated {
  value: string;
  problems: InterpolationProblem[];
}

/** Returns the variable's value, or undefined when unset. */
export type Lookup = (name: string) => string | undefined;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export function interpolate(input: string, lookup: Lookup): Interpolated {
  const problems: InterpolationProblem[] = [];
  const value = expand(input, 0, input.length, lookup, problems);
  return { value, problems };
}

/** True when the string has anything for `interpolate` to do: the common case is no `$`. */
export function hasInterpolation(input: string): boolean {
  return input.includes('$');
}

function expand(
  s: string,
  from: number,
  to: number,
  lookup: Lookup,
  problems: InterpolationProblem[],
): string {
  let out = '';
  let i = from;
  while (i < to) {
    const dollar = s.indexOf('$', i);
    if (dollar === -1 || dollar >= to) {
      out += s.slice(i, to);
      break;
    }
    out += s.slice(i, dollar);
    const next = s[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = matchingBrace(s, dollar + 2, to);
      if (close === -1) {
        problems.push({
          offset: dollar,
          length: to - dollar,
          kind: 'syntax',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax, shown to users
          message: 'has "${" without a closing "}"',
        });
        return out;
      }
      out += braced(s, dollar, close, lookup, problems);
      i = close + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let end = dollar + 2;
      while (end < to && NAME_CHAR.test(s[end]!)) end++;
      const name = s.slice(dollar + 1, end);
      const v = lookup(name);
      if (v === undefined) problems.push(unset(name, dollar, end - dollar));
      else out += v;
      i = end;
    } else {
      out += '$';
      i = dollar + 1;
    }
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, counting nested `${`. */
function matchingBrace(s: string, from: number, to: number): number {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = s[i];
    if (c === '$' && s[i + 1] === '$') {
      i++;
    } else if (c === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Expands `${…}` spanning s[start..close]. */
function braced(
  s: string,
  start: number,
  close: number,
  lookup: Lookup,
  problems: InterpolationProblem[],
): string {
  const bodyStart = start + 2;
  const length = close + 1 - start;
  let end = bodyStart;
  while (end < close && NAME_CHAR.test(s[end]!)) end++;
  const name = s.slice(bodyStart, end);
  if (name === '' || !NAME_START.test(name[0]!)) {
    problems.push(invalid(s.slice(start, close + 1), start, length));
    return '';
  }
  const v = lookup(name);
  if (end === close) {
    if (v === undefined) {
      problems.push(unset(name, start, length));
      return '';
    }
    return v;
  }
  const rest = s.slice(end, close);
  const op = rest.startsWith(':-') || rest.startsWith(':?') ? rest.slice(0, 2) : rest[0];
  const argStart = end + (op?.length ?? 0);
  switch (op) {
    case ':-':
      return v === undefined || v === '' ? expand(s, argStart, close, lookup, problems) : v;
    case '-':
      return v === undefined ? expand(s, argStart, close, lookup, problems) : v;
    case ':?':
    case '?':
      if (v === undefined || (op === ':?' && v === '')) {
        const text = s.slice(argStart, close);
        problems.push({
          offset: start,
          length,
          variable: name,
          kind: 'required',
          message: `needs \${${name}}${text ? `: ${text}` : ', which is not set'}`,
        });
        return '';
      }
      return v;
    default:
      problems.push(invalid(s.slice(start, close + 1), start, length));
      return '';
  }
}

function invalid(text: string, offset: number, length: number): InterpolationProblem {
  return { offset, length, kind: 'syntax', message: `has an invalid variable reference "${text}"` };
}

function unset(name: string, offset: number, length: number): InterpolationProblem {
  return { offset, length, variable: name, kind: 'unset', message: `uses \${${name}}, which is not set` };
}
