/**
 * The exported units pass `systemd-analyze verify` (systemd's own parser: quoting,
 * escapes, specifiers, executables that exist, dependencies between the units), for
 * system and user units, in place and moved elsewhere with --project-dir, with executables
 * resolved on this machine's PATH (verify checks that an ExecStart program exists, so a
 * fixed table of made-up paths would not do). Skipped, with the reason printed, only where systemd-analyze
 * cannot run at all (`.ci/run` installs Debian's systemd package).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathResolver } from '../../src/export/executables.js';
import { renderExport } from '../../src/export/index.js';
import { EXPORT_CASES, loadCase } from '../unit/export-cases.js';

const work = mkdtempSync(join(tmpdir(), 'uiprocs-verify-'));
const runtimeDir = join(work, 'runtime');
mkdirSync(runtimeDir, { mode: 0o700 });
afterAll(() => rmSync(work, { recursive: true, force: true }));

function verify(files: string[], user: boolean) {
  const r = spawnSync('systemd-analyze', ['verify', ...(user ? ['--user'] : []), ...files], {
    encoding: 'utf8',
    // --user needs a runtime dir; containers and CI have none of their own.
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, SYSTEMD_LOG_COLOR: '0' },
    timeout: 60_000,
  });
  return { code: r.status, error: r.error, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const probe = verify([], false);
const unavailable = probe.error ? `systemd-analyze cannot run: ${probe.error.message}` : null;
if (unavailable) process.stdout.write(`skipping systemd-analyze verify: ${unavailable}\n`);

describe.skipIf(unavailable !== null)('export systemd passes systemd-analyze verify', () => {
  it('catches a broken unit (the check is not vacuous)', () => {
    const dir = join(work, 'broken');
    mkdirSync(dir);
    const file = join(dir, 'broken.service');
    writeFileSync(file, `[Service]\nExecStart=/bin/sh -c "exec echo 'unbalanced\n`);
    expect(verify([file], false).code).not.toBe(0);
  });

  for (const [name, dir] of Object.entries(EXPORT_CASES)) {
    for (const [user, projectDir] of [
      [false, undefined],
      [true, undefined],
      [false, '/srv/elsewhere'],
    ] as const) {
      const label = `${name}${user ? ' --user' : ''}${projectDir ? ` --project-dir ${projectDir}` : ''}`;
      it(label, async () => {
        const out = join(work, label.replace(/[^\w-]+/g, '_'));
        mkdirSync(out);
        const desired = await loadCase(dir);
        const target = projectDir ?? desired.projectDir;
        const { files } = renderExport('systemd', desired, {
          user,
          projectDir: target,
          resolve: pathResolver(desired, process.env, target),
          fileDir: desired.projectDir,
        });
        for (const f of files) writeFileSync(join(out, f.name), f.content);
        const r = verify(
          files.map((f) => join(out, f.name)),
          user,
        );
        expect(r.out).toBe('');
        expect(r.code, r.out).toBe(0);
      });
    }
  }
});
