/**
 * A deliberately small YAML reader for the shape almost every manifest has: block maps
 * and block lists indented with spaces, `key: value` lines, plain and quoted one-line
 * scalars, and one-line flow lists/maps of scalars (`[a, b]`, `{ A: "1" }`).
 *
 * Why: cold JavaScript is what a CLI pays for, and this reads a 500-service manifest in a
 * few ms where js-yaml needs ≈40–100 ms and `yaml` ≈200 ms. It never guesses: anything
 * outside the subset (block scalars, anchors, tags, multi-line values, tabs, duplicate
 * keys, odd indentation, `: ` inside a plain value, numbers other than plain decimals,
 * maps inside lists…) returns undefined and the loader falls back to a full parser. When
 * it returns data, that data equals what `yaml` parses under the YAML 1.2 core schema
 * (checked by tests on every fixture and by a property test).
 */

type Value = string | number | boolean | null | Value[] | { [k: string]: Value };
type YMap = { [k: string]: Value };

class Bail extends Error {}
function bail(): never {
  throw new Bail();
}

interface Frame {
  indent: number;
  node: YMap | Value[];
  /** A map key written as `key:` whose nested block may follow on the next lines. */
  pendingKey?: string | undefined;
}

/** A plain key, then `:` and a space or the end of the line. */
const KEY_PLAIN = /^([A-Za-z0-9_$./][^:#'"[\]{},&*!|>%@`]*?) *:(?: +|$)/;
const INT = /^[-+]?[0-9]+$/;
/** Plain scalars may not start with an indicator, nor hold `: ` or ` #`, nor end in `:`. */
const PLAIN_BAD = /^[,[\]{}#&*!|>'"%@`]|^[-?:](?: |$)|: |:$| #/;
const FLOAT = /^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)$/;

/** Plain data (a map at the root), or undefined when the text is outside the subset. */
export function tinyParse(text: string): Record<string, unknown> | undefined {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
}

function parse(text: string): YMap {
  // Tabs, CR, BOM and exotic spaces (which trimStart/trimEnd would eat but YAML keeps) → a real parser.
  if (/[\t\r\v\f\uFEFF\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/.test(text)) bail();
  const root: YMap = {};
  const stack: Frame[] = [{ indent: 0, node: root }];
  let sawContent = false;
  for (const raw of text.split('\n')) {
    const trimmed = raw.trimEnd();
    const full = trimmed.trimStart();
    const indent = trimmed.length - full.length;
    if (full === '' || full.startsWith('#')) continue;
    if (/^(?:---|\.\.\.|%)/.test(full)) bail();
    sawContent = true;
    const body = stripComment(full);

    // Unwind to the frame this line belongs to; a `key:` with nothing nested stays null.
    let top = stack[stack.length - 1]!;
    for (;;) {
      if (top.pendingKey !== undefined) {
        if (indent > top.indent) break;
        top.pendingKey = undefined;
      }
      if (indent < top.indent && stack.length > 1) {
        stack.pop();
        top = stack[stack.length - 1]!;
        continue;
      }
      break;
    }
    if (top.pendingKey !== undefined) {
      const child: YMap | Value[] = body === '-' || body.startsWith('- ') ? [] : {};
      (top.node as YMap)[top.pendingKey] = child;
      top.pendingKey = undefined;
      top = { indent, node: child };
      stack.push(top);
    } else if (indent !== top.indent) {
      bail();
    }

    if (Array.isArray(top.node)) {
      if (!body.startsWith('- ')) bail();
      const item = body.slice(2).trimStart();
      // Only scalars and flows as items: `- key: v` (a map in a list) is left to others.
      if (item === '' || item.startsWith('- ') || /^(?:"[^"]*"|'[^']*'|[^'"\s][^:]*?) *:(?: |$)/.test(item))
        bail();
      top.node.push(value(item));
    } else {
      if (body === '-' || body.startsWith('- ')) bail();
      const [key, rest] = splitKey(body);
      if (Object.hasOwn(top.node, key) || key === '__proto__') bail();
      if (rest === '') {
        top.node[key] = null;
        top.pendingKey = key;
      } else {
        top.node[key] = value(rest);
      }
    }
  }
  if (!sawContent) bail();
  return root;
}

/** Drops a trailing ` # comment`; with quotes on the line, the `#` may be quoted: give up. */
function stripComment(body: string): string {
  const at = body.indexOf(' #');
  if (at === -1) return body;
  if (/["']/.test(body)) bail();
  return body.slice(0, at).trimEnd();
}

function splitKey(body: string): [string, string] {
  if (body[0] === '"' || body[0] === "'") {
    const end = closingQuote(body, 0);
    const m = /^ *:(?: +(.*)|$)/.exec(body.slice(end + 1));
    if (!m) bail();
    return [quoted(body.slice(0, end + 1)), (m[1] ?? '').trim()];
  }
  const m = KEY_PLAIN.exec(body);
  if (!m) bail();
  const key = m[1]!;
  // Keys the core schema would type (`1`, `true`, `null`) are left to a real parser.
  if (typed(key) !== key) bail();
  return [key, body.slice(m[0].length).trim()];
}

function value(text: string): Value {
  if (text[0] === '[') return flowItems(text, ']').map((item) => scalar(item, true));
  if (text[0] === '{') return flowMap(text);
  return scalar(text, false);
}

/** One scalar: quoted, or plain with YAML 1.2 core-schema typing. */
function scalar(text: string, inFlow: boolean): Value {
  const c = text[0];
  if (c === '"' || c === "'") {
    if (closingQuote(text, 0) !== text.length - 1) bail();
    return quoted(text);
  }
  if (text === '' || PLAIN_BAD.test(text) || (inFlow && /[[\]{},]/.test(text))) bail();
  return typed(text);
}

function typed(plain: string): Value {
  // Fast exit for the common case: text starting with a letter that begins no core-schema word.
  const c = plain.charCodeAt(0) | 0x20;
  if (c >= 0x61 && c <= 0x7a && c !== 0x74 && c !== 0x66 && c !== 0x6e) return plain;
  switch (plain) {
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  if (INT.test(plain)) {
    const n = Number(plain);
    if (!Number.isSafeInteger(n)) bail();
    return n;
  }
  if (FLOAT.test(plain)) return Number(plain);
  // Other core-schema numbers (0x1F, 0o17, 1e3, .inf, .nan): leave them to a real parser.
  if (/^[-+]?(?:0[xo]|\.(?:inf|Inf|INF|nan|NaN|NAN)$|(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE])/.test(plain)) bail();
  return plain;
}

/** Index of the quote closing the one at `from`. */
function closingQuote(text: string, from: number): number {
  const q = text[from];
  for (let i = from + 1; i < text.length; i++) {
    const ch = text[i];
    if (q === '"' && ch === '\\') {
      i++;
    } else if (ch === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return bail();
}

const ESCAPES: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
};

function quoted(token: string): string {
  const inner = token.slice(1, -1);
  if (token[0] === "'") return inner.replace(/''/g, "'");
  return inner.replace(/\\(.)/g, (_, ch: string) => ESCAPES[ch] ?? bail());
}

/** A one-line flow collection's items, split at top-level commas; nesting gives up. */
function flowItems(text: string, close: string): string[] {
  if (text[text.length - 1] !== close) bail();
  const inner = text.slice(1, -1);
  const items: string[] = [];
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '"' || ch === "'") i = closingQuote(inner, i);
    else if (ch === '[' || ch === '{' || ch === ']' || ch === '}') bail();
    else if (ch === ',') {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = inner.slice(start).trim();
  if (last !== '') items.push(last);
  if (items.some((x) => x === '')) bail();
  return items;
}

function flowMap(text: string): YMap {
  const out: YMap = {};
  for (const item of flowItems(text, '}')) {
    let key: string;
    let rest: string;
    if (item[0] === '"' || item[0] === "'") {
      const end = closingQuote(item, 0);
      const m = /^ *:(?: +(.*)|$)/.exec(item.slice(end + 1));
      if (!m) bail();
      key = quoted(item.slice(0, end + 1));
      rest = (m[1] ?? '').trim();
    } else {
      // `K: v`, or `K:` for a null value.
      const colon = item.endsWith(':') && !item.includes(': ') ? item.length - 1 : item.indexOf(': ');
      if (colon === -1) bail();
      key = item.slice(0, colon).trim();
      rest = item.slice(colon + 1).trim();
      if (key === '' || /[:#'"&*!|>%@`?]/.test(key) || typed(key) !== key) bail();
    }
    if (Object.hasOwn(out, key) || key === '__proto__') bail();
    out[key] = rest === '' ? null : scalar(rest, true);
  }
  return out;
}
