/**
 * `make test` brings what the tests need (issue #20, item 9): on a fresh machine without
 * chromium the suite failed one test, and only .ci/run knew to install it. These run the real
 * scripts/test-prereqs.sh with a PATH that lacks chromium (a folder of links to every other
 * tool it needs), as root (dry run: what apt-get would install) and as a real second unix user
 * (one line naming the command, exit 1). Nothing is installed.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { otherUser, runAsOther } from '../helpers/other-user.js';

const script = resolve('scripts/test-prereqs.sh');
const dir = mkdtempSync(join(tmpdir(), 'uiprocs-prereqs-'));
chmodSync(dir, 0o755);
const bin = join(dir, 'bin');
mkdirSync(bin);
// Everything the script calls or looks for, except chromium.
for (const tool of [
  'sh',
  'id',
  'mktemp',
  'cat',
  'rm',
  'lsof',
  'ps',
  'gunicorn',
  'systemd-analyze',
  'python3',
  'zsh',
  'fish',
]) {
  for (const where of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    try {
      symlinkSync(join(where, tool), join(bin, tool));
      break;
    } catch {}
  }
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile('/bin/sh', [script], { env }, (error, _stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stderr: String(stderr) }),
    );
  });
}

describe('scripts/test-prereqs.sh (what `make test` runs first)', () => {
  it('prints nothing and exits 0 when every tool is there', async () => {
    const result = await run({ PATH: process.env.PATH ?? '/usr/bin:/bin' });
    expect(result).toEqual({ code: 0, stderr: '' });
  });

  it.runIf(process.getuid?.() === 0)(
    'as root, installs only what is missing (chromium) with apt-get',
    async () => {
      const result = await run({ PATH: bin });
      // No apt-get on this PATH: it says which package manager is missing, naming the package.
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        "make test needs: chromium (no apt-get here: install them with this system's package manager)",
      );
      symlinkSync('/usr/bin/apt-get', join(bin, 'apt-get'));
      const dry = await run({ PATH: bin, UIPROCS_PREREQS_DRY_RUN: '1' });
      expect(dry).toEqual({
        code: 0,
        stderr: 'would run: apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium\n',
      });
    },
  );

  it('not root (a real second unix user): one line with the command to run, exit 1', async (ctx) => {
    const user = otherUser();
    if (!user) ctx.skip();
    const result = await runAsOther(user!, '/bin/sh', [script], { env: { PATH: bin } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'make test needs: chromium; install them as root: apt-get update && apt-get install -y -qq --no-install-recommends chromium\n',
    );
  });
});
