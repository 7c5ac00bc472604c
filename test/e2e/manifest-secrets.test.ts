/**
 * An env file's content is never echoed in an error (issue #20, item 4): `env_file:` naming
 * a file that is not an env file (seen: /etc/shadow) used to print its lines as the error's
 * source line in `validate`, `config`, `--json` diagnostics and the dashboard's /api/plan.
 * The error now says which file and line and why, never the text.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { planView } from '../../src/dashboard/plan-view.js';
import { loadManifest } from '../../src/manifest/load.js';
import { bin, root } from './harness.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'uiprocs-secret-'));
cpSync(join(root, 'test/fixtures/manifests/bad/env-file-secret-line'), dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = ['SECRETHASH', 'hunter2', 'root:$6$'];
const env = { ...process.env, HOME: dir, UIPROCS_NO_CACHE: '1', NO_COLOR: '1' };

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { cwd: dir, env });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('env file content is never echoed', () => {
  for (const args of [['validate'], ['config'], ['config', '--json']]) {
    it(`uiprocs ${args.join(' ')} names the file and line, not the secret`, async () => {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.out).toContain('shadow');
      expect(r.out).toMatch(/\b1\b/);
      for (const s of SECRETS) expect(r.out).not.toContain(s);
    });
  }

  it("the dashboard's /api/plan answer holds no secret", async () => {
    const strict = await loadManifest({ cwd: dir, env: { HOME: dir, UIPROCS_NO_CACHE: '1' } });
    expect(strict.ok).toBe(false);
    const view = JSON.stringify(
      await planView(strict as never, { system: undefined as never, env: {}, cwd: dir }),
    );
    expect(view).toContain('shadow');
    for (const s of SECRETS) expect(view).not.toContain(s);
  });
});
