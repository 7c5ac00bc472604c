/**
 * A tolerant read of one top-level key (`state_dir`, `project`) from manifest text that
 * does not parse: enough for `ps` and `down` to find the run records of a project whose
 * manifest has a syntax error elsewhere (see engine/records-only.ts).
 *
 * It answers only when the answer is certain, because a wrong state dir would show (and
 * let `down` stop) another dir's services: the key must occur exactly once as something
 * that looks like a key, and that once at column 0 (`state_dir: x`, or with the key
 * quoted) with a one-line scalar — plain, 'single' or "double" quoted without escapes —
 * that YAML reads as a string. Anything else (an indented or flow-style mention, a block
 * or multi-line value, a number, a quote never closed) is `unclear`. Comment lines are
 * skipped. Pure: text in, answer out.
 */

export type ScalarRead = { kind: 'absent' } | { kind: 'value'; value: string } | { kind: 'unclear' };

const UNCLEAR: ScalarRead = { kind: 'unclear' };

/** YAML 1.2 core-schema plain scalars that are not strings. */
const NOT_A_STRING =
  /^(?:~|null|true|false|[-+]?(?:\.inf|\.nan|[0-9][0-9_]*(?:\.[0-9_]*)?(?:e[-+]?[0-9]+)?|0x[0-9a-f]+|0o[0-7]+))$/i;

/** Characters that cannot start a plain scalar (or start something else: a flow, an anchor…). */
const INDICATOR = /^[[\]{}&*!|>%@`,?:#'"]|^-(?:\s|$)/;

export function topLevelScalar(text: string, key: string): ScalarRead {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  /** The key where a YAML or JSON key could be: at a line start or after `{`, `,` or a space. */
  const mention = new RegExp(`(?:^|[\\s{,])(["']?)${escaped}\\1\\s*:`);
  const atColumn0 = new RegExp(`^(["']?)${escaped}\\1:(?:[ \\t]+(.*))?$`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let found: ScalarRead = { kind: 'absent' };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*#/.test(line) || !mention.test(line)) continue;
    const m = atColumn0.exec(line.trimEnd());
    if (m === null || found.kind !== 'absent') return UNCLEAR;
    const value = scalar(m[2] ?? '');
    if (value === undefined || continues(lines, i)) return UNCLEAR;
    found = { kind: 'value', value };
  }
  return found;
}

/** The string a one-line YAML scalar (after `key: `) stands for, or undefined when not certain. */
function scalar(raw: string): string | undefined {
  const text = raw.trim();
  let value: string | undefined;
  if (text.startsWith('"')) value = /^"([^"\\]*)"(?:\s+#.*)?$/.exec(text)?.[1];
  else if (text.startsWith("'")) value = /^'((?:[^']|'')*)'(?:\s+#.*)?$/.exec(text)?.[1]?.replace(/''/g, "'");
  else {
    const plain = text.replace(/\s+#.*$/, '');
    if (INDICATOR.test(plain) || plain.includes(': ') || NOT_A_STRING.test(plain)) return undefined;
    value = plain;
  }
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Whether the next meaningful line is indented: a multi-line value, or a nested structure. */
function continues(lines: string[], i: number): boolean {
  for (let j = i + 1; j < lines.length; j++) {
    const next = lines[j]!;
    if (next.trim() === '' || /^\s*#/.test(next)) continue;
    return /^\s/.test(next);
  }
  return false;
}
