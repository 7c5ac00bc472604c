/**
 * The manifests the export tests run over: the bundled demo, the Streamlit example and
 * the good fixtures that exercise what exports must map (probes, conditions, auto ports,
 * env files, quoting, groups, disabled services, images, limits). Loaded with a controlled
 * environment and no cache, like the manifest corpus test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Desired } from '../../src/core/model.js';
import type { ResolveExecutable } from '../../src/export/executables.js';
import { loadManifest } from '../../src/manifest/load.js';

export const root = resolve(import.meta.dirname, '../..');
const good = join(root, 'test/fixtures/manifests/good');

/** Case name → folder holding its manifest. */
export const EXPORT_CASES: Record<string, string> = {
  bundled: root,
  'examples-streamlit': join(root, 'examples/streamlit'),
  ...Object.fromEntries(
    [
      'array-command',
      'auto-port',
      'defaults-merge',
      'depends-on-map',
      'env-file',
      'groups',
      'healthcheck',
      'image',
      'interpolation',
      'limits',
      'prototype-names',
      'ready-kinds',
      'task-chain',
      'watch',
    ].map((n) => [n, join(good, n)]),
  ),
};

export async function loadCase(dir: string): Promise<Desired> {
  const extra = existsSync(join(dir, 'env.json'))
    ? (JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as Record<string, string>)
    : {};
  const r = await loadManifest({ cwd: dir, env: { HOME: '/nonexistent', UIPROCS_NO_CACHE: '1', ...extra } });
  if (!r.ok) throw new Error(`${dir}: ${JSON.stringify(r.error)}`);
  return r.value;
}

/**
 * Which file each program is, fixed so that golden files hold on every machine (a runner's
 * `python` is not this one's): system tools in /usr/bin, the Python UIs in the project's
 * venv (so a relocated export moves them with the project), anything else not found.
 */
export function fixedResolver(targetProjectDir: string): ResolveExecutable {
  const system = new Set(['node', 'python', 'sleep', 'postgres', 'redis-server']);
  const venv = new Set(['streamlit', 'flask', 'jupyter', 'uvicorn']);
  return (_s, program) =>
    system.has(program)
      ? `/usr/bin/${program}`
      : venv.has(program)
        ? `${targetProjectDir}/.venv/bin/${program}`
        : null;
}
