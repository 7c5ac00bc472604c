/**
 * Discovery refuses a manifest another user could have planted (issue #20, item 2): a real
 * second unix user owns a `uiprocs.config.mjs` (which writes a marker when imported) or a
 * ui-procs.yaml in a 0777 folder without the sticky bit, two levels above where root runs
 * `ps`/`validate`/`config`. The config never runs, the error names the file and how to
 * trust it, exit 2; a path in UIPROCS_TRUST and an explicit --file are read.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { otherUser } from '../helpers/other-user.js';
import { bin } from './harness.js';

const user = otherUser();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function cli(cwd: string, args: string[], extra: Record<string, string> = {}) {
  return new Promise<{ code: number; out: string }>((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { ...process.env, HOME: cwd, UIPROCS_NO_CACHE: '1', NO_COLOR: '1', ...extra } },
      (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, out: stdout + stderr }),
    );
  });
}

/** A 0777 shared folder (no sticky bit) holding `name` owned by `uid`, and a folder two levels below. */
function plant(name: string, text: string, uid: number, gid: number) {
  const shared = mkdtempSync(join(tmpdir(), 'uiprocs-shared-'));
  dirs.push(shared);
  chmodSync(shared, 0o777);
  const file = join(shared, name);
  writeFileSync(file, text);
  chownSync(file, uid, gid);
  const below = join(shared, 'a', 'b');
  mkdirSync(below, { recursive: true });
  return { shared, file, below, marker: join(shared, 'marker') };
}

const mjs = (marker: string) =>
  `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n` +
  `export default { version: 1, services: { web: { command: 'true' } } };\n`;
const yaml = 'version: 1\nservices:\n  web:\n    command: "true"\n';

describe.skipIf(!user)('a manifest another user planted is not read', () => {
  for (const args of [['ps'], ['validate'], ['config']]) {
    it(`uiprocs ${args[0]} refuses another user's uiprocs.config.mjs and never imports it`, async () => {
      const p = plant('uiprocs.config.mjs', '', 0, 0);
      writeFileSync(p.file, mjs(p.marker));
      chownSync(p.file, user!.uid, user!.gid);
      const r = await cli(p.below, args);
      expect(r.code).toBe(2);
      expect(r.out).toContain(p.file);
      expect(r.out).toContain('UIPROCS_TRUST=');
      expect(existsSync(p.marker)).toBe(false);
    });
  }

  it("refuses another user's ui-procs.yaml, and in the cwd itself too", async () => {
    const p = plant('ui-procs.yaml', yaml, user!.uid, user!.gid);
    const below = await cli(p.below, ['validate']);
    expect(below.code).toBe(2);
    expect(below.out).toContain(p.file);
    const here = await cli(p.shared, ['validate']);
    expect(here.code).toBe(2);
    expect(here.out).toContain('owned by another user');
  });

  it('refuses a root-owned manifest in a world-writable folder without the sticky bit', async () => {
    const p = plant('ui-procs.yaml', yaml, 0, 0);
    const r = await cli(p.below, ['config']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('no sticky bit');
  });

  it('reads a planted manifest the user trusts: UIPROCS_TRUST or --file', async () => {
    const p = plant('uiprocs.config.mjs', '', 0, 0);
    writeFileSync(p.file, mjs(p.marker));
    chownSync(p.file, user!.uid, user!.gid);
    const trusted = await cli(p.below, ['validate'], { UIPROCS_TRUST: `/nonexistent:${p.shared}` });
    expect(trusted.code).toBe(0);
    expect(existsSync(p.marker)).toBe(true);
    rmSync(p.marker);
    const explicit = await cli(p.below, ['validate', '--file', p.file]);
    expect(explicit.code).toBe(0);
    expect(existsSync(p.marker)).toBe(true);
  });

  it('still reads your own manifest in a sticky world-writable folder', async () => {
    const p = plant('ui-procs.yaml', yaml, 0, 0);
    chmodSync(p.shared, 0o1777);
    const r = await cli(p.below, ['validate']);
    expect(r.code).toBe(0);
  });
});
