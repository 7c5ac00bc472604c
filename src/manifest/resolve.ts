/**
 * Turns a schema-valid, rule-checked manifest into the desired state (`Desired`):
 * defaults merged, variables interpolated, durations in ms, sizes in bytes, paths
 * absolute, env files read, every default filled in. Problems found here (an unset
 * variable, a missing env_file, a command or ready.http target that interpolation left
 * unusable) come back as located diagnostics, never as throws.
 *
 * Merge rule: a service field replaces the same field of `defaults`, except `env` (merged
 * key by key, the service wins), `log` (merged key by key, so defaults can set max_size
 * and keep while services set paths), `limits` (key by key: defaults can cap memory for
 * every service while one sets its own cpu), `healthcheck` (see health below) and `ready`
 * (timeout/interval merged; a probe kind set by the service replaces the defaults' probe).
 *
 * Interpolation sources, in order: `${PORT}`/`${NAME}`/`${PROJECT_DIR}` (provided), then
 * the caller's environment, then a `.env` file beside the manifest (compose semantics; the
 * environment wins). A service's env_file and env do NOT feed interpolation: they are what
 * the process gets, not what the manifest is written with. `${PORT}` is only provided when
 * the service has a port (`auto` gives AUTO_PORT_TOKEN, replaced at spawn) and is never taken
 * from the caller's environment. `ready.log` is a regex and is not interpolated (`$` anchors).
 */

import { basename, dirname, resolve as resolvePath } from 'node:path';
import type {
  DependencyCondition,
  Desired,
  Diagnostic,
  HealthSpec,
  Limits,
  LogSpec,
  ReadyCheck,
  ReadySpec,
  Result,
  ServiceSpec,
} from '../core/model.js';
import { AUTO_PORT_TOKEN, fail, ok } from '../core/model.js';
import { DEFAULTS } from './defaults.js';
import { sortAndDedupe } from './diagnostic-order.js';
import { readEnvFileAt } from './env-file-read.js';

import { interpolate } from './interpolate.js';
import { diagnostic, type Locator } from './locate.js';
import { resolveHealth } from './resolve-health.js';
import { resolveWatch } from './resolve-watch.js';
import { dependencyEntries, rawTasks } from './rules.js';
import {
  type Path,
  PROBE_KINDS,
  type RawHealthcheck,
  type RawLimits,
  type RawLog,
  type RawManifest,
  type RawReady,
  type RawServiceFields,
  showPath,
} from './types.js';
import { normaliseSignal, parseDuration, parseSize } from './units.js';
import { emptyCommandProblem, httpTargetProblem, type ValueProblem } from './value-rules.js';

export interface ResolveContext {
  /** Absolute path of the manifest. */
  manifestPath: string;
  /** The caller's environment (process.env at run time). */
  env: Record<string, string | undefined>;
  /** For showing env file paths in diagnostics. */
  cwd: string;
}

/** What the result depended on besides the manifest bytes: the cache key needs it all. */
export interface ResolveInputs {
  /** Every environment variable interpolation looked up, set or not. */
  envNames: string[];
  /** Every file read (or looked for): env files and the `.env` beside the manifest. */
  files: string[];
}

export function resolveManifest(
  m: RawManifest,
  locator: Locator,
  ctx: ResolveContext,
): Result<{ desired: Desired; inputs: ResolveInputs }> {
  return new Resolver(m, locator, ctx).run();
}

class Resolver {
  private readonly diags: Diagnostic[] = [];
  private readonly envNames = new Set<string>();
  private readonly files = new Set<string>();
  private readonly projectDir: string;
  private readonly dotenv: Record<string, string>;
  /** One-shot tasks (isTask in core/model.ts): `port`, `ready` and `restart` from defaults do not apply to them. */
  private readonly tasks: Set<string>;

  constructor(
    private readonly m: RawManifest,
    private readonly locator: Locator,
    private readonly ctx: ResolveContext,
  ) {
    this.projectDir = dirname(ctx.manifestPath);
    this.dotenv = this.readEnvFile(resolvePath(this.projectDir, '.env'), null) ?? {};
    this.tasks = new Set(rawTasks(m).keys());
  }

  run(): Result<{ desired: Desired; inputs: ResolveInputs }> {
    const stateDir = resolvePath(this.projectDir, this.m.state_dir ?? DEFAULTS.stateDir);
    const services: Record<string, ServiceSpec> = {};
    const groups: Record<string, string[]> = {};
    for (const name of Object.keys(this.m.services)) {
      const spec = this.service(name, stateDir);
      services[name] = spec;
      for (const g of spec.groups) {
        groups[g] = [...(Object.hasOwn(groups, g) ? groups[g]! : []), name];
      }
    }
    if (this.diags.length > 0)
      return fail({ reason: 'manifest-invalid', diagnostics: sortAndDedupe(this.diags) });
    const desired: Desired = {
      project: this.m.project ?? basename(this.projectDir),
      projectDir: this.projectDir,
      manifestPath: this.ctx.manifestPath,
      stateDir,
      services,
      groups,
      ...(this.m.supervise === false ? { supervise: false as const } : {}),
      ...(this.m.dashboard !== undefined ? { dashboard: { port: this.m.dashboard.port } } : {}),
    };
    return ok({ desired, inputs: { envNames: [...this.envNames].sort(), files: [...this.files] } });
  }

  private service(name: string, stateDir: string): ServiceSpec {
    const s = this.m.services[name]!;
    const task = this.tasks.has(name);
    // A task's own port/ready/restart are errors (rules.ts); those of defaults are meant for
    // the services that stay up, so a task drops them.
    const d: RawServiceFields = task
      ? { ...this.m.defaults, port: undefined, ready: undefined, restart: undefined }
      : (this.m.defaults ?? {});
    const port = s.port ?? d.port ?? null;
    const vars = (v: string): string | undefined => {
      if (v === 'PORT') return port === null ? undefined : port === 'auto' ? AUTO_PORT_TOKEN : String(port);
      if (v === 'NAME') return name;
      if (v === 'PROJECT_DIR') return this.projectDir;
      this.envNames.add(v);
      return this.ctx.env[v] ?? this.dotenv[v];
    };
    const str = (value: string, path: Path) => this.interp(value, path, vars, name, port !== null);
    const field = <K extends keyof RawServiceFields>(k: K): [RawServiceFields[K], Path] =>
      s[k] !== undefined ? [s[k], ['services', name, k]] : [d[k], ['defaults', k]];

    const command = this.command(s.command, ['services', name, 'command'], str);

    const [group] = field('group');
    const [cwdRaw, cwdAt] = field('cwd');
    const cwd = cwdRaw === undefined ? this.projectDir : resolvePath(this.projectDir, str(cwdRaw, cwdAt));

    // env_file entries first, then defaults.env, then the service's env.
    const env: Record<string, string> = {};
    const envFiles: string[] = [];
    const [envFile, envFileAt] = field('env_file');
    const fileList = envFile === undefined ? [] : Array.isArray(envFile) ? envFile : [envFile];
    fileList.forEach((f, i) => {
      const at = Array.isArray(envFile) ? [...envFileAt, i] : envFileAt;
      const abs = resolvePath(this.projectDir, str(f, at));
      envFiles.push(abs);
      const vars = this.readEnvFile(abs, { path: at, written: f });
      if (vars) Object.assign(env, vars);
    });
    for (const [source, at] of [
      [d.env, ['defaults', 'env']],
      [s.env, ['services', name, 'env']],
    ] as const) {
      for (const [k, v] of Object.entries(source ?? {})) {
        env[k] = typeof v === 'string' ? str(v, [...at, k]) : String(v);
      }
    }

    const log = this.log(name, stateDir, d.log, s.log, str);
    const ready = this.ready(port, d.ready, task ? undefined : s.ready, name, str);
    const health = this.health(port, d.healthcheck, task ? undefined : s.healthcheck, name, str);

    const dependsOn: Record<string, DependencyCondition> = {};
    const [deps] = field('depends_on');
    for (const e of dependencyEntries(this.m, name)) {
      const cond = Array.isArray(deps) ? undefined : deps?.[e.target]?.condition;
      dependsOn[e.target] = cond ?? DEFAULTS.dependencyCondition;
    }

    // A task keeps the defaults' limits: a one-shot build is held like the servers.
    const limits = resolveLimits(d.limits, s.limits);
    const [stopTimeout] = field('stop_timeout');
    const [image, imageAt] = field('image');
    const watch =
      s.watch === undefined
        ? undefined
        : resolveWatch(
            (at, p) => this.report(at, p),
            s.watch,
            ['services', name, 'watch'],
            cwd,
            this.projectDir,
          );
    return {
      name,
      command,
      port,
      groups: group === undefined ? [] : Array.isArray(group) ? [...group] : [group],
      cwd,
      env,
      envFiles,
      log,
      dependsOn,
      ready,
      ...(health === undefined ? {} : { health }),
      stopSignal: normaliseSignal(field('stop_signal')[0] ?? DEFAULTS.stopSignal),
      stopTimeout: stopTimeout === undefined ? DEFAULTS.stopTimeout : (parseDuration(stopTimeout) ?? 0),
      restart: field('restart')[0] ?? DEFAULTS.restart,
      maxRestarts: field('max_restarts')[0] ?? DEFAULTS.maxRestarts,
      disabled: field('disabled')[0] ?? false,
      ...(image === undefined ? {} : { image: str(image, imageAt) }),
      ...(limits === undefined ? {} : { limits }),
      ...(watch === undefined ? {} : { watch }),
    };
  }

  private log(
    name: string,
    stateDir: string,
    fromDefaults: string | RawLog | undefined,
    own: string | RawLog | undefined,
    str: (v: string, at: Path) => string,
  ): LogSpec {
    const asObject = (l: string | RawLog | undefined): RawLog =>
      typeof l === 'string' ? { path: l } : (l ?? {});
    const d = asObject(fromDefaults);
    const s = asObject(own);
    const pathAt = (owner: string | RawLog | undefined, base: Path): Path =>
      typeof owner === 'string' ? base : [...base, 'path'];
    let path = resolvePath(stateDir, 'logs', `${name}.log`);
    if (s.path !== undefined)
      path = resolvePath(this.projectDir, str(s.path, pathAt(own, ['services', name, 'log'])));
    else if (d.path !== undefined)
      path = resolvePath(this.projectDir, str(d.path, pathAt(fromDefaults, ['defaults', 'log'])));
    const size = s.max_size ?? d.max_size;
    return {
      path,
      maxSize: size === undefined ? DEFAULTS.logMaxSize : (parseSize(size) ?? DEFAULTS.logMaxSize),
      keep: s.keep ?? d.keep ?? DEFAULTS.logKeep,
    };
  }

  private ready(
    port: number | 'auto' | null,
    fromDefaults: RawReady | undefined,
    own: RawReady | undefined,
    name: string,
    str: (v: string, at: Path) => string,
  ): ReadySpec {
    const hasProbe = (r: RawReady | undefined) => !!r && PROBE_KINDS.some((k) => r[k] !== undefined);
    const [probe, at]: [RawReady | undefined, Path] = hasProbe(own)
      ? [own, ['services', name, 'ready']]
      : [fromDefaults, ['defaults', 'ready']];
    let check: ReadyCheck;
    if (probe?.tcp !== undefined)
      check = probe.tcp === true ? { kind: 'tcp' } : { kind: 'tcp', port: probe.tcp };
    else if (probe?.http !== undefined)
      check = { kind: 'http', target: this.httpTarget(probe.http, [...at, 'http'], name, port, str) };
    else if (probe?.log !== undefined) check = { kind: 'log', pattern: probe.log };
    else if (probe?.command !== undefined)
      check = { kind: 'command', command: this.command(probe.command, [...at, 'command'], str) };
    else check = port === null ? { kind: 'alive' } : { kind: 'tcp' };
    const timeout = own?.timeout ?? fromDefaults?.timeout;
    const interval = own?.interval ?? fromDefaults?.interval;
    return {
      check,
      timeout:
        timeout === undefined ? DEFAULTS.readyTimeout : (parseDuration(timeout) ?? DEFAULTS.readyTimeout),
      interval:
        interval === undefined ? DEFAULTS.readyInterval : (parseDuration(interval) ?? DEFAULTS.readyInterval),
    };
  }

  /** An http probe's target, interpolated and checked (ready and healthcheck alike). */
  httpTarget(
    raw: string,
    at: Path,
    name: string,
    port: number | 'auto' | null,
    str: (v: string, at: Path) => string,
  ): string {
    const before = this.diags.length;
    const target = str(raw, at);
    // A target whose interpolation failed is reported once, for that.
    const problem = this.diags.length === before ? httpTargetProblem(target, name, port !== null) : undefined;
    if (problem) this.report(at, problem);
    return target;
  }

  /** `healthcheck:` (resolve-health.ts). */
  private health(
    port: number | 'auto' | null,
    fromDefaults: RawHealthcheck | false | undefined,
    own: RawHealthcheck | false | undefined,
    name: string,
    str: (v: string, at: Path) => string,
  ): HealthSpec | undefined {
    return resolveHealth(this, port, fromDefaults, own, name, str);
  }

  /** A service's or probe's command, interpolated; one that is left with nothing to run is reported. */
  command(raw: string | string[], at: Path, str: (v: string, at: Path) => string): string | string[] {
    const before = this.diags.length;
    const command = typeof raw === 'string' ? str(raw, at) : raw.map((c, i) => str(c, [...at, i]));
    const problem = this.diags.length === before ? emptyCommandProblem(command) : undefined;
    if (problem) this.report(problem.item === undefined ? at : [...at, problem.item], problem);
    return command;
  }

  report(path: Path, problem: ValueProblem): void {
    this.diags.push(diagnostic(this.locator.at(path), `${showPath(path)} ${problem.message}`, problem.hint));
  }

  /** Interpolates one scalar, reporting each problem at its `${…}` inside the file. */
  private interp(
    value: string,
    path: Path,
    lookup: (v: string) => string | undefined,
    service: string,
    hasPort: boolean,
  ): string {
    if (!value.includes('$')) return value;
    const r = interpolate(value, lookup);
    for (const p of r.problems) {
      const needle = value.slice(p.offset, p.offset + p.length);
      let occurrence = 0;
      for (let at = value.indexOf(needle); at !== -1 && at < p.offset; at = value.indexOf(needle, at + 1))
        occurrence++;
      const span = this.locator.within(path, needle, occurrence);
      let message = `${showPath(path)} ${p.message}`;
      let hint: string | undefined;
      if (p.kind === 'unset' && p.variable === 'PORT' && !hasPort) {
        message = `${showPath(path)} uses \${PORT}, but services.${service} has no port`;
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax, shown to users
        hint = 'set "port:" (a number or auto), or give a default: ${PORT:-8000}';
      } else if (p.kind === 'unset') {
        hint = `set ${p.variable} in the environment or in .env beside the manifest, or give a default: \${${p.variable}:-value}`;
      } else if (p.kind === 'syntax') {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${…} syntax, shown to users
        hint = 'write ${NAME} or ${NAME:-default}; write $$ for a literal $';
      }
      this.diags.push(diagnostic(span, message, hint));
    }
    return r.value;
  }

  /** Reads a KEY=VALUE file (env-file-read.ts); its problems become this manifest's diagnostics. */
  private readEnvFile(
    abs: string,
    from: { path: Path; written: string } | null,
  ): Record<string, string> | null {
    this.files.add(abs);
    return readEnvFileAt(abs, from, { diags: this.diags, locator: this.locator, cwd: this.ctx.cwd });
  }
}

/**
 * `limits:` of the service over those of `defaults`, key by key; undefined when no key is
 * set (`limits: {}` included). Only keys that are set appear: the limits are part of the
 * config hash (core/hash.ts), where a key present as undefined would still change the text
 * hashed. The schema and value-rules.ts have checked every value, so parseSize cannot fail.
 */
export function resolveLimits(
  fromDefaults: RawLimits | undefined,
  own: RawLimits | undefined,
): Limits | undefined {
  const raw: RawLimits = { ...fromDefaults, ...own };
  const out: Limits = {};
  if (raw.memory !== undefined) {
    const bytes = parseSize(raw.memory);
    if (bytes !== null) out.memory = bytes;
  }
  if (raw.cpu !== undefined) out.cpu = raw.cpu;
  if (raw.processes !== undefined) out.processes = raw.processes;
  if (raw.open_files !== undefined) out.openFiles = raw.open_files;
  return Object.keys(out).length === 0 ? undefined : out;
}
