/**
 * Checks of single values that the JSON Schema accepts by shape but the run time would
 * refuse or misread: a `ready.log` that is no regular expression, a `ready.http` that is
 * neither a path nor an http(s) URL, a command that is empty, a probe timeout or interval
 * of 0 (which the probes silently replaced by their own default), a log size under one byte
 * (which silently turned rotation off), a memory limit no program starts in or a CPU limit
 * below the kernel's smallest quota. Each was found only by `up`, after other services
 * had started; here `validate` finds it, located at the value.
 *
 * `checkValues` runs with the other rules, on the manifest as written (durations, sizes and
 * `ready.log` are never interpolated). `httpTargetProblem` and `emptyCommandProblem` look at
 * values after interpolation, so `resolve.ts` calls them.
 */
import type { Diagnostic } from '../core/model.js';
import { AUTO_PORT_TOKEN } from '../core/model.js';
import { diagnostic, type Locator } from './locate.js';
import {
  type Path,
  type RawHealthcheck,
  type RawLimits,
  type RawManifest,
  type RawReady,
  showPath,
} from './types.js';
import { parseDuration, parseSize } from './units.js';

/** A problem with a value: the sentence after its path, and advice. */
export interface ValueProblem {
  message: string;
  hint?: string;
}

/**
 * Why `pattern` is not a regular expression the log probe can compile (it compiles it the
 * same way: `new RegExp(pattern)`, no flags), or undefined when it is one.
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    // V8: "Invalid regular expression: /([/: Unterminated character class": the value is shown already.
    const text = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return text.charAt(0).toLowerCase() + text.slice(1);
  }
}

/** The `ready` blocks and log blocks of the manifest, each with its path, services before defaults. */
function blocks(m: RawManifest): {
  ready: RawReady | undefined;
  log: unknown;
  health: RawHealthcheck | undefined;
  limits: RawLimits | undefined;
  at: Path;
}[] {
  const health = (h: RawHealthcheck | false | undefined) => (h === false ? undefined : h);
  const out = Object.entries(m.services).map(([name, s]) => ({
    ready: s.ready,
    log: s.log,
    health: health(s.healthcheck),
    limits: s.limits,
    at: ['services', name] as Path,
  }));
  if (m.defaults)
    out.push({
      ready: m.defaults.ready,
      log: m.defaults.log,
      health: health(m.defaults.healthcheck),
      limits: m.defaults.limits,
      at: ['defaults'],
    });
  return out;
}

/** The smallest memory limit accepted: a shell alone needs about 1 MiB; less only fails at start. */
export const MIN_MEMORY_LIMIT = 1024 ** 2;
/** The largest: 1 PiB, more than any machine has, and an exact integer to every consumer (JSON, systemd). */
export const MAX_MEMORY_LIMIT = 1024 ** 5;
/** cgroups' smallest CPU quota is 1 ms per period; uiprocs' period is 100 ms, so 0.01 of a core. */
export const MIN_CPU_LIMIT = 0.01;

/** What is wrong with a `limits:` block beyond its shape, field by field (the schema checked types and ranges). */
function limitsProblems(limits: RawLimits): { field: keyof RawLimits; problem: ValueProblem }[] {
  const out: { field: keyof RawLimits; problem: ValueProblem }[] = [];
  if (limits.memory !== undefined) {
    const bytes = parseSize(limits.memory);
    if (bytes !== null && bytes < MIN_MEMORY_LIMIT)
      out.push({
        field: 'memory',
        problem: {
          message: 'must be at least 1MB: no program starts in less',
          hint: 'a number alone is bytes; a Node or Python server needs tens of MB: write e.g. 256MB',
        },
      });
    else if (bytes !== null && bytes > MAX_MEMORY_LIMIT)
      out.push({ field: 'memory', problem: { message: 'must be at most 1048576GB' } });
  }
  if (limits.cpu !== undefined && limits.cpu < MIN_CPU_LIMIT)
    out.push({
      field: 'cpu',
      problem: {
        message: `must be at least ${MIN_CPU_LIMIT} (a hundredth of a core, the kernel's smallest CPU quota)`,
      },
    });
  return out;
}

export function checkValues(m: RawManifest, locator: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { ready, log, health, limits, at } of blocks(m)) {
    for (const { field, problem } of limits === undefined ? [] : limitsProblems(limits)) {
      const path = [...at, 'limits', field];
      out.push(diagnostic(locator.at(path), `${showPath(path)} ${problem.message}`, problem.hint));
    }
    // A health probe every 0 ms would spin; one given 0 ms would always fail.
    for (const [field, fallback] of [
      ['interval', '10s'],
      ['timeout', '5s'],
    ] as const) {
      const value = health?.[field];
      if (value === undefined || (parseDuration(value) ?? 1) >= 1) continue;
      const path = [...at, 'healthcheck', field];
      out.push(
        diagnostic(
          locator.at(path),
          `${showPath(path)} must be at least 1ms`,
          `leave it out for the default (${fallback})`,
        ),
      );
    }
    if (ready?.log !== undefined) {
      const why = regexProblem(ready.log);
      const path = [...at, 'ready', 'log'];
      if (why !== undefined)
        out.push(
          diagnostic(
            locator.at(path),
            `${showPath(path)} is not a valid regular expression: ${why}`,
            'to match ( [ . * literally, put a backslash before each: \\( \\[ (in \'…\' quotes or none; "…" reads \\ itself)',
          ),
        );
    }
    for (const [field, fallback] of [
      ['timeout', '60s'],
      ['interval', '100ms'],
    ] as const) {
      const value = ready?.[field];
      if (value === undefined || (parseDuration(value) ?? 1) >= 1) continue;
      const path = [...at, 'ready', field];
      out.push(
        diagnostic(
          locator.at(path),
          `${showPath(path)} must be at least 1ms`,
          `leave it out for the default (${fallback})`,
        ),
      );
    }
    if (typeof log === 'object' && log !== null) {
      const size = (log as { max_size?: number | string }).max_size;
      if (size !== undefined && (parseSize(size) ?? 1) < 1) {
        const path = [...at, 'log', 'max_size'];
        out.push(diagnostic(locator.at(path), `${showPath(path)} must be at least 1 byte`));
      }
    }
  }
  return out;
}

/** `scheme://` at the start of a target. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/**
 * What is wrong with an (interpolated) `ready.http` target, or undefined. The probe GETs a
 * path on the service's port (`/health`; `health` works too) or a full http(s) URL as is;
 * `localhost:8080/health` would have been read as a path, and a URL that does not parse
 * made every attempt fail until the timeout.
 */
export function httpTargetProblem(
  target: string,
  service: string,
  hasPort: boolean,
): ValueProblem | undefined {
  const scheme = SCHEME.exec(target)?.[1];
  if (scheme !== undefined) {
    if (scheme !== 'http' && scheme !== 'https')
      return {
        message: `must be a path like /health or a URL starting with http:// or https:// (not ${scheme}://)`,
        hint:
          scheme.toLowerCase() === 'http' || scheme.toLowerCase() === 'https'
            ? `write the scheme in lowercase: ${scheme.toLowerCase()}://`
            : 'to check something other than http, use ready.tcp or ready.command',
      };
    try {
      // A `port: auto` port is known only at start; any port number stands in for it here.
      new URL(target.split(AUTO_PORT_TOKEN).join('1'));
    } catch {
      return { message: 'is not a valid URL', hint: 'a URL looks like http://127.0.0.1:8080/health' };
    }
    return undefined;
  }
  const head = target.split('/')[0]!;
  if (head.includes(':'))
    return {
      message: 'must be a path like /health or a URL starting with http:// or https://',
      hint: `did you mean "http://${target}"?`,
    };
  if (!hasPort)
    return {
      message: `is a path, but services.${service} has no port`,
      hint: 'set "port:", or give a full URL: "http://127.0.0.1:8080/health"',
    };
  return undefined;
}

/**
 * Why an (interpolated) command cannot run, or undefined: a string with nothing to run
 * (`command: ${CMD}` with CMD empty), or a list whose program, its first item, is empty.
 */
export function emptyCommandProblem(command: string | string[]): (ValueProblem & { item?: 0 }) | undefined {
  if (typeof command === 'string')
    return command.trim() === ''
      ? { message: 'is empty after interpolation', hint: 'set the variables it uses, or give them a default' }
      : undefined;
  return command[0]?.trim() === ''
    ? { message: 'is empty, but the first item of a command list is the program to run', item: 0 }
    : undefined;
}

/**
 * The advice for a value YAML read as a map because of an unquoted `: ` inside it
 * (`command: echo a: b`), showing the value quoted: double quotes unless it holds `"` or
 * `\`, which single quotes keep as they are.
 */
export function quoteValueHint(value: string, key?: string): string {
  const quoted = /["\\]/.test(value) ? `'${value.replace(/'/g, "''")}'` : `"${value}"`;
  return `a ": " inside a plain value starts a map in YAML; quote the whole value: ${key ? `${key} ` : ''}${quoted}`;
}
