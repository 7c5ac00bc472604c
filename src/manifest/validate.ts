/**
 * Checks a manifest against schemas/ui-procs.schema.json with the validator ajv compiled
 * ahead of time (scripts/build-schema.mjs), and turns ajv's errors into one located,
 * readable Diagnostic per problem.
 *
 * ajv reports every branch of a union that failed (`port: 70000` yields "must be <=
 * 65535", "must be string", "must be equal to one of the allowed values" and "must match
 * a schema in anyOf"). Users need one sentence, so for each union we decide:
 * - if some error lies *inside* the value (a deeper path, an unknown key, a missing
 *   field), the value had the right shape and those inner errors are the real problems;
 * - otherwise the value is the wrong kind altogether and we print the union's
 *   `x-expected` sentence from the schema: `must be an integer from 1 to 65535 or "auto"`.
 */

import type { Diagnostic } from '../core/model.js';
import { sortAndDedupe } from './diagnostic-order.js';
import { validate as compiled } from './generated/validate-manifest.js';
import { diagnostic, type Locator } from './locate.js';
import { composeConditionHint, didYouMean, foreignKeyHint } from './suggest.js';
import { type Path, type PathSeg, showPath } from './types.js';
import { quoteValueHint } from './value-rules.js';

interface SchemaNode {
  'x-expected'?: string;
  properties?: Record<string, unknown>;
  [k: string]: unknown;
}

/** The parts of an ajv error object this module reads (ajv runs with `verbose: true`). */
export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  /** Set on errors raised inside `propertyNames`: the offending key. */
  propertyName?: string;
  parentSchema?: SchemaNode;
  message?: string;
}

type CompiledValidator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
const validateFn = compiled as unknown as CompiledValidator;

/** Keywords that can only fail once the value has the right container type. */
const INSIDE = new Set(['additionalProperties', 'required', 'propertyNames']);

/** Runs the schema; returns no diagnostics when the manifest conforms. */
export function validateSchema(data: unknown, locator: Locator): Diagnostic[] {
  if (validateFn(data)) return [];
  return explainErrors(validateFn.errors ?? [], data, locator);
}

/** Exported for tests: ajv errors → one Diagnostic per problem, in file order. */
export function explainErrors(errors: AjvError[], data: unknown, locator: Locator): Diagnostic[] {
  const consumed = new Set<AjvError>();
  const out: Diagnostic[] = [];

  for (const u of errors) {
    if (u.keyword !== 'anyOf' && u.keyword !== 'oneOf') continue;
    consumed.add(u);
    const p = u.instancePath;
    const atP = errors.filter((e) => e !== u && e.instancePath === p && e.propertyName === undefined);
    const inside = errors.some(
      (e) =>
        e !== u &&
        (isDeeper(e.instancePath, p) || (e.instancePath === p && (INSIDE.has(e.keyword) || e.propertyName))),
    );
    for (const e of atP) if (!inside || !INSIDE.has(e.keyword)) consumed.add(e);
    if (!inside) {
      const path = toPath(p, data);
      out.push(mustBe(path, unionExpectation(u, atP), data, locator));
    }
  }

  for (const e of errors) {
    if (consumed.has(e) || e.keyword === 'propertyNames') continue;
    const path = toPath(e.instancePath, data);
    if (e.propertyName !== undefined) {
      out.push(badKeyName(path, e, locator));
    } else if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty);
      const full = [...path, key];
      const allowed = Object.keys(e.parentSchema?.properties ?? {}).filter((k) => k !== '$schema');
      out.push(
        diagnostic(
          locator.at(full, 'key'),
          `${showPath(full)} is not a known field`,
          foreignKeyHint(key, allowed) ?? didYouMean(key, allowed),
        ),
      );
    } else if (e.keyword === 'required') {
      const missing = String(e.params.missingProperty);
      if (misspelt(errors, e.instancePath, missing)) continue;
      const where = path.length === 0 ? 'the manifest' : showPath(path);
      const span = locator.at(path, 'key');
      // For the whole manifest, mark one character: underlining its first line would blame that line.
      const at = path.length === 0 ? { ...span, length: 1 } : span;
      out.push(diagnostic(at, `${where} is missing the required field "${missing}"`));
    } else {
      out.push(mustBe(path, expectation(e), data, locator, quotedNumberHint(e, valueAt(data, path))));
    }
  }
  return sortAndDedupe(out);
}

/**
 * A number written in quotes (`cpu: "1.5"`) where only a number is accepted: YAML reads it
 * as text, and the fix is to drop the quotes.
 */
function quotedNumberHint(e: AjvError, value: unknown): string | undefined {
  if (e.keyword !== 'type' || typeof value !== 'string' || !/^-?[0-9]+(\.[0-9]+)?$/.test(value))
    return undefined;
  const wanted = Array.isArray(e.params.type) ? e.params.type : [e.params.type];
  if (!wanted.includes('number') && !wanted.includes('integer')) return undefined;
  return `"${value}" in quotes is text; write the number without quotes: ${value}`;
}

/** True when an unknown key beside a missing field is a near miss of it (`comand`): one problem, one message. */
function misspelt(errors: AjvError[], at: string, missing: string): boolean {
  return errors.some(
    (e) =>
      e.keyword === 'additionalProperties' &&
      e.instancePath === at &&
      didYouMean(String(e.params.additionalProperty), [missing]) !== undefined,
  );
}

/** `services.web.port must be …`, pointing at the value (or its key for maps, lists and nulls). */
function mustBe(path: Path, expected: string, data: unknown, locator: Locator, hint?: string): Diagnostic {
  // Point at the key of a block map or list (its value spans lines), else at the value.
  const value = valueAt(data, path);
  const which =
    value === null || (typeof value === 'object' && Object.keys(value).length > 0) ? 'key' : 'value';
  const subject = path.length === 0 ? 'the manifest' : showPath(path);
  return diagnostic(
    locator.at(path, which),
    `${subject} must be ${expected}`,
    hint ?? colonHint(path, value) ?? composeConditionHint(value),
  );
}

/**
 * A command (or one of its items) that YAML read as a one-entry map, `{ "echo a": "b" }`,
 * was text with an unquoted `: ` inside: say so, with the text quoted.
 */
function colonHint(path: Path, value: unknown): string | undefined {
  const last = path[path.length - 1];
  const isCommand = last === 'command' || (typeof last === 'number' && path[path.length - 2] === 'command');
  if (!isCommand || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== 1) return undefined;
  const [key, rest] = entries[0]!;
  if (rest !== null && typeof rest === 'object') return undefined;
  return quoteValueHint(`${key}: ${rest ?? ''}`.trimEnd());
}

function badKeyName(path: Path, e: AjvError, locator: Locator): Diagnostic {
  const name = String(e.propertyName);
  const last = path[path.length - 1];
  const subject =
    path.length === 1 && last === 'services'
      ? `service name ${JSON.stringify(name)}`
      : last === 'env'
        ? `variable name ${JSON.stringify(name)} in ${showPath(path)}`
        : `key ${JSON.stringify(name)} in ${showPath(path)}`;
  return diagnostic(locator.at([...path, name], 'key'), `${subject} must be ${expectation(e)}`);
}

/**
 * The union's sentence, unless exactly one branch failed on a detail that has its own
 * sentence (`group: "a b"` → the name rule, not "a name or a list of names").
 */
function unionExpectation(u: AjvError, atP: AjvError[]): string {
  const own = new Set<string>();
  for (const e of atP) {
    const x = e.parentSchema?.['x-expected'];
    if (e.keyword !== 'type' && typeof x === 'string' && e.parentSchema !== u.parentSchema) own.add(x);
  }
  if (own.size === 1) return [...own][0]!;
  return u.parentSchema?.['x-expected'] ?? 'valid';
}

function expectation(e: AjvError): string {
  const x = e.parentSchema?.['x-expected'];
  if (typeof x === 'string') return x;
  const p = e.params;
  switch (e.keyword) {
    case 'type':
      return typeWords(p.type);
    case 'enum':
      return `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return JSON.stringify(p.allowedValue);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${String(p.comparison)} ${String(p.limit)}`;
    case 'minItems':
      return `a list with at least ${String(p.limit)} item(s)`;
    case 'pattern':
      return `text matching ${String(p.pattern)}`;
    default:
      return e.message ?? 'valid';
  }
}

const TYPE_WORD: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'empty',
};

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  const words = list.map((x) => TYPE_WORD[String(x)] ?? String(x));
  return words.length <= 1 ? (words[0] ?? 'valid') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function isDeeper(path: string, parent: string): boolean {
  return path.length > parent.length && path.startsWith(parent) && path[parent.length] === '/';
}

/**
 * `/services/web~1x/group/1` → `['services', 'web/x', 'group', 1]`: segments that index a
 * list in `data` become numbers, so paths print as `group[1]`.
 */
function toPath(pointer: string, data: unknown): PathSeg[] {
  if (pointer === '') return [];
  let v = data;
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(v)) {
        v = v[Number(seg)];
        return Number(seg);
      }
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
      return seg;
    });
}

function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}
