/**
 * Parses manifest text with `yaml`'s Document API, which keeps every node's source range,
 * and turns every YAML problem (syntax, tabs, duplicate keys, alias bombs, an empty file)
 * into a located Diagnostic. Never throws for bad input.
 *
 * This is the precise (slower) parser: the loader uses it for every manifest it cannot
 * accept through the fast path, and always before printing diagnostics.
 */
import { isMap, isPair, isScalar, parseDocument, visit } from 'yaml';
import type { Diagnostic, Result } from '../core/model.js';
import { fail, ok } from '../core/model.js';
import { diagnostic, type Locator, SourceText, YamlLocator, type YamlNodeLike } from './locate.js';
import { quoteValueHint } from './value-rules.js';

export interface Parsed {
  /** The plain data (maps → objects), or undefined when the document is empty. */
  data: unknown;
  locator: Locator;
}

export interface ParseOptions {
  /** Path shown in diagnostics (relative to the cwd when inside it). */
  displayFile: string;
  /** Take only this top-level key's value (`uiprocs` of a package.json). */
  subtree?: string;
}

/** Aliases a manifest may expand; a billion-laughs document needs millions. */
const MAX_ALIAS_COUNT = 1000;

const MESSAGES: Partial<Record<string, string>> = {
  TAB_AS_INDENT: 'tabs are not allowed for indentation; indent with spaces',
  MULTIPLE_DOCS: 'the manifest must be a single YAML document (found "---" starting another)',
};

export function parseManifestText(text: string, opts: ParseOptions): Result<Parsed> {
  const file = opts.displayFile;
  const source = new SourceText(text);
  const doc = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    merge: false,
  });

  if (doc.errors.length > 0) {
    // After a syntax error the rest of the parse is guesswork, so report only the first;
    // duplicate keys leave the syntax intact, so each one is reported.
    const syntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    const errors = syntax ? [syntax] : doc.errors;
    const diags = errors.map((err) => {
      let [start, end] = err.pos;
      let message = MESSAGES[err.code] ?? yamlMessage(err.message);
      let hint: string | undefined;
      const colon = COLON_IN_VALUE.has(err.code) ? unquotedColon(text, start, end) : undefined;
      if (colon) {
        end = colon.end;
        hint = colon.hint;
      } else if (err.code === 'DUPLICATE_KEY') {
        const key = keyToken(text, start);
        end = start + key.length;
        message = `duplicate key ${JSON.stringify(unquoteKey(key))}: each key may appear only once in a map`;
      } else if (err.code === 'MISSING_CHAR' && /quote/i.test(err.message)) {
        // yaml reports the end of the file; the useful place is the quote left open.
        start = Math.max(text.lastIndexOf('"', start - 1), text.lastIndexOf("'", start - 1), 0);
        end = start + 1;
        message = 'this quoted string is never closed';
      }
      return diagnostic(source.span(file, start, Math.max(end, start + 1)), message, hint);
    });
    return fail({ reason: 'manifest-invalid', diagnostics: dedupe(diags) });
  }

  let root = doc.contents as YamlNodeLike | null;
  if (opts.subtree !== undefined) {
    root = null;
    if (isMap(doc.contents)) {
      for (const pair of doc.contents.items) {
        if (isPair(pair) && isScalar(pair.key) && pair.key.value === opts.subtree) {
          root = (pair.value as YamlNodeLike | null) ?? null;
        }
      }
    }
    if (root === null) {
      const span = source.span(file, 0, 1);
      return fail({
        reason: 'manifest-invalid',
        diagnostics: [diagnostic(span, `${file} has no "${opts.subtree}" field`)],
      });
    }
  }

  if (root === null || (isScalar(root) && root.value === null)) {
    const span = source.span(file, 0, 1);
    return fail({
      reason: 'manifest-invalid',
      diagnostics: [
        diagnostic(
          { ...span, length: 1 },
          'the manifest is empty',
          'a manifest needs at least "version: 1" and a "services:" map',
        ),
      ],
    });
  }

  let data: unknown;
  try {
    const all = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    data = opts.subtree !== undefined ? (all as Record<string, unknown>)[opts.subtree] : all;
  } catch (e) {
    // yaml throws on alias expansion beyond maxAliasCount (billion laughs) and on an alias
    // whose anchor is not defined before it: refuse, located at that alias.
    const text = e instanceof Error ? e.message : '';
    const unresolved = /^Unresolved alias.*: (.*)$/.exec(text)?.[1];
    let at = 0;
    let end = 1;
    let name = '';
    visit(doc, {
      Alias(_, node) {
        if (unresolved !== undefined && node.source !== unresolved) return;
        if (node.range) [at, end] = node.range;
        name = node.source;
        return visit.BREAK;
      },
    });
    const span = source.span(file, at, end);
    if (unresolved !== undefined) {
      return fail({
        reason: 'manifest-invalid',
        diagnostics: [
          diagnostic(
            span,
            `the alias *${unresolved} refers to no anchor`,
            `define &${unresolved} before this alias, e.g. in an x- field at the top`,
          ),
        ],
      });
    }
    const why = /alias/i.test(text) ? 'expands too many aliases' : 'cannot be read';
    return fail({
      reason: 'manifest-invalid',
      diagnostics: [
        diagnostic(
          span,
          `the manifest ${why}${name ? ` (first alias: *${name})` : ''}; refusing to expand it`,
          why === 'expands too many aliases'
            ? `at most ${MAX_ALIAS_COUNT} alias expansions are allowed`
            : undefined,
        ),
      ],
    });
  }

  return ok({ data, locator: new YamlLocator(file, source, root) });
}

/**
 * The errors `yaml` gives for a plain value with an unquoted `: ` inside it
 * (`command: echo a: b`, also in a flow map `{ command: echo a: b }`): YAML reads the
 * value as the start of a nested map, which it does not allow there.
 */
const COLON_IN_VALUE = new Set(['BLOCK_AS_IMPLICIT_KEY', 'BLOCK_IN_FLOW']);

/** When the value at `start` holds an unquoted `: `: where it ends, and the advice to quote it. */
function unquotedColon(text: string, start: number, end: number): { end: number; hint: string } | undefined {
  const newline = text.indexOf('\n', start);
  const lineEnd = newline === -1 ? text.length : newline;
  // yaml marks the whole value inside a flow map, only its first character in a block map.
  const valueEnd = end > start + 1 ? Math.min(end, lineEnd) : lineEnd;
  const value = text
    .slice(start, valueEnd)
    .replace(/\s+#.*$/, '')
    .trimEnd();
  if (!/:\s/.test(value)) return undefined;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const key = /([^\s{,[]+:)\s*$/.exec(text.slice(lineStart, start))?.[1];
  return { end: start + value.length, hint: quoteValueHint(value, key) };
}

/** The key text starting at `start`: a quoted string, or plain text up to `: `. */
function keyToken(text: string, start: number): string {
  const m = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\n]*?(?=:(?:\s|$)))/.exec(text.slice(start));
  return m?.[1] || text.slice(start, start + 1);
}

function unquoteKey(key: string): string {
  if (key.startsWith('"') || key.startsWith("'")) return key.slice(1, -1);
  return key;
}

/** yaml's messages start with a capital and sometimes carry a trailing context; keep one sentence. */
function yamlMessage(message: string): string {
  const first = message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
