/**
 * Maps a path in the manifest tree (`['services', 'web', 'port']`) back to a place in the
 * file, so every diagnostic can say `ui-procs.yaml:12:5` and underline the token.
 *
 * The YAML locator walks the `yaml` Document's nodes. Manifests with no source positions
 * (JS/TS configs) get the flat locator, which points at line 1, column 1 of the file.
 */
import type { Diagnostic } from '../core/model.js';
import type { Path } from './types.js';

/** Where a problem is: what a Diagnostic needs besides its message. */
export interface Span {
  file: string;
  line: number;
  column: number;
  length: number;
  sourceLine?: string;
}

export interface Locator {
  /** False for the flat locator: its spans are placeholders. */
  readonly precise: boolean;
  /**
   * The span of the value at `path` or, with `which: 'key'`, of its key. A path that does
   * not exist falls back to the deepest part that does (e.g. the map missing a field).
   */
  at(path: Path, which?: 'key' | 'value'): Span;
  /**
   * The span of the `occurrence`-th (0-based) appearance of `needle` inside the source
   * text of the scalar at `path`, e.g. `${API_KEY}` inside a command; the value's span
   * when it cannot be found (escapes in a double-quoted string, say).
   */
  within(path: Path, needle: string, occurrence: number): Span;
}

export function diagnostic(span: Span, message: string, hint?: string): Diagnostic {
  const d: Diagnostic = {
    file: span.file,
    line: span.line,
    column: span.column,
    length: Math.max(1, span.length),
    message,
  };
  if (span.sourceLine !== undefined) d.sourceLine = span.sourceLine;
  if (hint !== undefined) d.hint = hint;
  return d;
}

/** For manifests without positions: everything is at 1:1 of the file. */
export function flatLocator(file: string): Locator {
  const span: Span = { file, line: 1, column: 1, length: 1 };
  return { precise: false, at: () => span, within: () => span };
}

/** Minimal structural view of `yaml` nodes, so this module needs no import of `yaml`. */
export interface YamlNodeLike {
  range?: [number, number, number] | null;
  items?: unknown[];
  value?: unknown;
  source?: string;
}
interface YamlPairLike {
  key: unknown;
  value: unknown;
}

/** Positions inside a text: offsets → 1-based line and column, and the line's text. */
export class SourceText {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  /** 1-based line and column of an offset. */
  pos(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }

  lineText(line: number): string {
    const start = this.starts[line - 1] ?? this.text.length;
    const next = this.starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, '');
  }

  /** A span from `start` to `end`, cut at the end of the first line and trimmed. */
  span(file: string, start: number, end: number): Span {
    const { line, column } = this.pos(start);
    const sourceLine = this.lineText(line);
    const lineRest = sourceLine.length - (column - 1);
    const length = Math.max(1, Math.min(end - start, lineRest));
    const token = sourceLine.slice(column - 1, column - 1 + length).trimEnd();
    return { file, line, column, length: Math.max(1, token.length), sourceLine };
  }
}

const isPair = (x: unknown): x is YamlPairLike =>
  typeof x === 'object' && x !== null && 'key' in x && 'value' in x;

function keyText(key: unknown): string | undefined {
  if (key === null || key === undefined) return undefined;
  if (typeof key === 'object' && 'value' in key) return String((key as { value: unknown }).value);
  return String(key);
}

export class YamlLocator implements Locator {
  readonly precise = true;
  constructor(
    private readonly file: string,
    private readonly source: SourceText,
    private readonly root: YamlNodeLike | null,
  ) {}

  at(path: Path, which: 'key' | 'value' = 'value'): Span {
    const { node, key, complete } = this.walk(path);
    const target = which === 'key' || !complete ? (key ?? node) : (node ?? key);
    return this.spanOf(target);
  }

  within(path: Path, needle: string, occurrence: number): Span {
    const { node, complete } = this.walk(path);
    const range = node?.range;
    if (complete && range) {
      const raw = this.source.text.slice(range[0], range[1]);
      let at = -1;
      for (let k = 0; k <= occurrence; k++) {
        at = raw.indexOf(needle, at + 1);
        if (at === -1) break;
      }
      if (at !== -1) {
        const start = range[0] + at;
        return this.source.span(this.file, start, start + needle.length);
      }
    }
    return this.spanOf(node);
  }

  private spanOf(node: YamlNodeLike | null | undefined): Span {
    const range = node?.range;
    if (!range) return this.firstContent();
    const isCollection = Array.isArray(node.items);
    // A collection spans many lines; underline only the text on its first line.
    return this.source.span(this.file, range[0], isCollection ? range[0] + 1_000 : range[1]);
  }

  private firstContent(): Span {
    const range = this.root?.range;
    return this.source.span(this.file, range ? range[0] : 0, range ? range[0] + 1 : 1);
  }

  /** Follows `path` as far as it exists; `key` is the key node of the last step taken. */
  private walk(path: Path): { node: YamlNodeLike | null; key: YamlNodeLike | null; complete: boolean } {
    let node = this.root;
    let key: YamlNodeLike | null = null;
    for (const seg of path) {
      const items = node?.items;
      if (!Array.isArray(items)) return { node, key, complete: false };
      let found = false;
      if (typeof seg === 'number' && !isPair(items[0])) {
        const item = items[seg];
        if (item !== undefined) {
          node = item as YamlNodeLike;
          key = node;
          found = true;
        }
      } else {
        for (const item of items) {
          if (isPair(item) && keyText(item.key) === String(seg)) {
            key = item.key as YamlNodeLike;
            node = (item.value as YamlNodeLike | null) ?? null;
            found = true;
            break;
          }
        }
      }
      if (!found) return { node, key, complete: false };
      if (node === null) return { node: key, key, complete: true };
    }
    return { node, key, complete: true };
  }
}
