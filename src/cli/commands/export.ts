/**
 * `uiprocs export <systemd|compose|make|kubernetes>`: the manifest as files another engine runs.
 * The files are a pure function of the resolved manifest (src/export); this command only
 * chooses where they go and, with `--check`, compares them with what is there.
 *
 * systemd writes a folder (`-o DIR`, default `./systemd`) and removes units an earlier
 * export of this project wrote that would not be written now; compose, make and kubernetes
 * print to stdout unless `-o FILE`. `--check` writes nothing: exit 1 and the stale files when the
 * previous export differs, 0 when it is up to date.
 *
 * The explicit inputs come from here: `--project-dir` (systemd), the folder of the file
 * written (compose and make paths are relative to it; the current folder for stdout), and
 * which file each command's program is (this machine's PATH when writing; when checking,
 * what the previous units recorded, so a runner with another PATH checks the rest).
 */
import { rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Context } from '../../core/context.js';
import type { Result } from '../../core/model.js';
import { fail, ok } from '../../core/model.js';
import { previousUnits, readText, type Stale, staleFiles } from '../../export/check.js';
import { EXPORT_FORMATS, type ExportFile, type ExportFormat } from '../../export/common.js';
import { pathResolver, type ResolveExecutable } from '../../export/executables.js';
import { renderExport } from '../../export/index.js';
import { recordedExecutables, unitName } from '../../export/systemd.js';
import { writeExportFile } from '../../export/write.js';
import { displayPath } from '../../manifest/display.js';
import { loadManifest } from '../../manifest/load.js';

export interface ExportOptions {
  user?: boolean;
  output?: string;
  check?: boolean;
  projectDir?: string;
  namespace?: string;
  ingress?: string;
  inlineEnv?: boolean;
}

/** Where systemd units go without `-o`. */
export const DEFAULT_SYSTEMD_DIR = 'systemd';

export default async function exportCommand(
  ctx: Context,
  args: string[],
  opts: ExportOptions,
): Promise<Result<number>> {
  const format = args[0] as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    return fail({ reason: 'usage', message: `export: format must be one of ${EXPORT_FORMATS.join(', ')}` });
  if (opts.user && format !== 'systemd')
    return fail({ reason: 'usage', message: 'export: --user applies to systemd units only' });
  if (opts.check && format !== 'systemd' && opts.output === undefined)
    return fail({
      reason: 'usage',
      message: `export ${format} --check: name the exported file with -o FILE`,
    });

  if (opts.inlineEnv && format !== 'kubernetes')
    return fail({
      reason: 'usage',
      message: `export ${format}: --inline-env applies to kubernetes only (${format} writes env values in the file itself, 0600)`,
    });
  if (opts.projectDir !== undefined && format !== 'systemd')
    return fail({
      reason: 'usage',
      message: `export ${format}: --project-dir applies to systemd units only (${format} paths are relative to the file)`,
    });
  if (opts.projectDir !== undefined && !isAbsolute(opts.projectDir))
    return fail({
      reason: 'usage',
      message: `export systemd: --project-dir must be an absolute path on the target host, not ${JSON.stringify(opts.projectDir)}`,
    });

  for (const [flag, value] of [
    ['--namespace', opts.namespace],
    ['--ingress', opts.ingress],
  ] as const) {
    if (value === undefined) continue;
    if (format !== 'kubernetes')
      return fail({ reason: 'usage', message: `export ${format}: ${flag} applies to kubernetes only` });
    const problem = flag === '--namespace' ? namespaceProblem(value) : hostProblem(value);
    if (problem !== null)
      return fail({
        reason: 'usage',
        message: `export kubernetes: ${flag} ${JSON.stringify(value)} ${problem}`,
      });
  }

  const loaded = await loadManifest(ctx);
  if (!loaded.ok) return loaded;
  const desired = loaded.value;
  const projectDir = opts.projectDir === undefined ? desired.projectDir : resolve(opts.projectDir);
  // systemd: the units' folder; compose, make: the file (undefined: stdout).
  const out = format === 'systemd' ? resolve(ctx.cwd, opts.output ?? DEFAULT_SYSTEMD_DIR) : undefined;
  const file = format !== 'systemd' && opts.output !== undefined ? resolve(ctx.cwd, opts.output) : undefined;
  const onPath = pathResolver(desired, ctx.env, projectDir);
  const { files, warnings } = renderExport(format, desired, {
    user: opts.user === true,
    projectDir,
    resolve: out !== undefined && opts.check ? recordedFirst(out, desired.project, onPath) : onPath,
    fileDir: file === undefined ? ctx.cwd : dirname(file),
    ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
    ...(opts.ingress === undefined ? {} : { ingress: opts.ingress }),
    ...(opts.inlineEnv === true ? { inlineEnv: true } : {}),
  });
  if (!opts.check) for (const w of warnings) ctx.err(`warning: ${w}\n`);

  if (out !== undefined) {
    const previous = previousUnits(out, desired.project);
    if (opts.check)
      return report(
        ctx,
        staleFiles(files, (n) => readText(join(out, n)), previous),
        out,
        files,
      );
    return write(
      ctx,
      files.map((f) => ({ path: join(out, f.name), content: f.content, private: f.private === true })),
      previous.filter((n) => !files.some((f) => f.name === n)).map((n) => join(out, n)),
    );
  }

  const { content } = files[0]!;
  if (file === undefined) {
    ctx.out(content);
    return ok(0);
  }
  if (opts.check) return report(ctx, staleFiles([{ name: file, content }], readText), null, files);
  return write(ctx, [{ path: file, content, private: files[0]!.private === true }], []);
}

/**
 * For `--check`: the file a previous unit of this service recorded for a program, else
 * `fallback`. Which file a name is on PATH is a fact of the machine that exported, not of
 * the manifest; a CI runner without the developer's venv must not call the units stale.
 */
function recordedFirst(dir: string, project: string, fallback: ResolveExecutable): ResolveExecutable {
  return (s, program) => {
    const recorded = recordedExecutables(readText(join(dir, unitName(project, s.name))) ?? '');
    return recorded.has(program) ? recorded.get(program)! : fallback(s, program);
  };
}

function report(ctx: Context, stale: Stale[], dir: string | null, files: ExportFile[]): Result<number> {
  const show = (name: string) => displayPath(dir === null ? name : join(dir, name), ctx.cwd);
  if (stale.length === 0) {
    ctx.err(`export is up to date (${files.length} file${files.length === 1 ? '' : 's'})\n`);
    return ok(0);
  }
  for (const s of stale) ctx.out(`${show(s.name)}: ${s.why}\n`);
  ctx.err(`${stale.length} exported file${stale.length === 1 ? ' is' : 's are'} out of date; export again\n`);
  return ok(1);
}

/** Each file atomically, 0600 when it carries commands and environment (export/write.ts). */
function write(
  ctx: Context,
  files: { path: string; content: string; private: boolean }[],
  obsolete: string[],
): Result<number> {
  try {
    for (const f of files) {
      writeExportFile(f.path, f.content, f.private);
      ctx.err(`wrote ${displayPath(f.path, ctx.cwd)}\n`);
    }
    for (const path of obsolete) {
      rmSync(path, { force: true });
      ctx.err(`removed ${displayPath(path, ctx.cwd)} (no longer in the manifest)\n`);
    }
  } catch (e) {
    return fail({ reason: 'io', message: `export: ${(e as Error).message}` });
  }
  return ok(0);
}

/** A namespace is a DNS-1123 label: the API server refuses anything else. */
function namespaceProblem(ns: string): string | null {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) && ns.length <= 63
    ? null
    : 'is not a namespace name (lower-case letters, digits and -, at most 63)';
}

/** The Ingress hosts are `<service>.<host>`: the host must be a lower-case DNS name itself. */
function hostProblem(host: string): string | null {
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  return host.length <= 189 && host.split('.').every((l) => l.length <= 63 && label.test(l))
    ? null
    : 'is not a host name (lower-case DNS labels joined by dots, no scheme, port or wildcard)';
}
