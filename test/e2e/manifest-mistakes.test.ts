/**
 * A mistake never starts anything (issue #11, items 3, 5 and 8): through the built CLI,
 * beside a good server that `up` would otherwise start first, each mistake is exit 2 with
 * its located message, no process of the project runs, the good server's port stays
 * closed, and no state (records, state dir) is written.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { answers, bin, type CliResult, type E2eProject, e2eProject, programs } from './harness.js';

const serve = join(programs, 'serve.mjs');

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/**
 * A project whose first service, `good`, is a real server on a free port, followed by
 * `web` written as `webYaml` (indented under `web:`), whose first line is line 6 of the file.
 */
async function withGoodServer(webYaml: string): Promise<{ p: E2eProject; port: number }> {
  const p = e2eProject();
  project = p;
  const port = await freePort();
  p.write(`services:\n  good: { command: node ${serve} ${port}, port: ${port} }\n  web:\n${webYaml}`);
  return { p, port };
}

/** The CLI run in `cwd`, with `p`'s cache and plain output. */
function runIn(p: E2eProject, cwd: string, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CACHE_HOME: join(p.dir, '.cache'),
    NO_COLOR: '1',
    CI: 'true',
  };
  delete env.FORCE_COLOR;
  delete env.UIPROCS_FILE;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Exit 2 with exactly `stderr`, and nothing of the project running or recorded. */
async function refusedCleanly(p: E2eProject, port: number, r: CliResult, stderr: string): Promise<void> {
  expect(r.stderr).toBe(stderr);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(p.tagged()).toEqual([]);
  expect(await answers(port)).toBe(false);
  expect(existsSync(p.stateDir)).toBe(false);
}

describe('a manifest mistake found by validate, so up starts nothing', () => {
  it('ready.log that is not a regular expression', async () => {
    const { p, port } = await withGoodServer(`    command: node ${serve} 0\n    ready: { log: "([" }\n`);
    const expected =
      'ui-procs.yaml:7:19: services.web.ready.log is not a valid regular expression: unterminated character class\n' +
      '  7 |     ready: { log: "([" }\n' +
      '    |                   ^~~~\n' +
      `  to match ( [ . * literally, put a backslash before each: \\( \\[ (in '…' quotes or none; "…" reads \\ itself)\n`;
    await refusedCleanly(p, port, await p.run(['validate']), expected);
    await refusedCleanly(p, port, await p.run(['up']), expected);
  });

  it('ready.http that is a host and port without http://', async () => {
    const other = await freePort();
    const { p, port } = await withGoodServer(
      `    command: node ${serve} ${other}\n    port: ${other}\n    ready: { http: "127.0.0.1:${other}/health" }\n`,
    );
    const target = `"127.0.0.1:${other}/health"`;
    await refusedCleanly(
      p,
      port,
      await p.run(['up']),
      'ui-procs.yaml:8:20: services.web.ready.http must be a path like /health or a URL starting with http:// or https://\n' +
        `  8 |     ready: { http: ${target} }\n` +
        `    |                    ^${'~'.repeat(target.length - 1)}\n` +
        `  did you mean "http://127.0.0.1:${other}/health"?\n`,
    );
    expect(await answers(other)).toBe(false);
  });

  it('a command left empty by interpolation', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's own ${VAR} syntax
    const { p, port } = await withGoodServer('    command: ${WEB_COMMAND:-}\n');
    await refusedCleanly(
      p,
      port,
      await p.run(['up']),
      'ui-procs.yaml:6:14: services.web.command is empty after interpolation\n' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's own ${VAR} syntax
        '  6 |     command: ${WEB_COMMAND:-}\n' +
        '    |              ^~~~~~~~~~~~~~~~\n' +
        '  set the variables it uses, or give them a default\n',
    );
  });

  it('an unquoted ": " inside a command gets the advice to quote it', async () => {
    const { p, port } = await withGoodServer(`    command: node ${serve} 0 --title Admin: prod\n`);
    const value = `node ${serve} 0 --title Admin: prod`;
    await refusedCleanly(
      p,
      port,
      await p.run(['up']),
      'ui-procs.yaml:6:14: nested mappings are not allowed in compact mappings\n' +
        `  6 |     command: ${value}\n` +
        `    |              ^${'~'.repeat(value.length - 1)}\n` +
        `  a ": " inside a plain value starts a map in YAML; quote the whole value: command: "${value}"\n`,
    );
  });
});

describe('what only the machine can tell, checked before up starts anything', () => {
  it('a missing working directory: exit 1 naming it, the good server not started, no record', async () => {
    const { p, port } = await withGoodServer(`    command: node ${serve} 0\n    cwd: fronted\n`);
    const r = await p.run(['up']);
    expect(r.stderr).toContain(
      `web: working directory ${join(p.dir, 'fronted')} does not exist; nothing was started\n`,
    );
    expect(r.code).toBe(1);
    expect(p.tagged()).toEqual([]);
    expect(await answers(port)).toBe(false);
    expect(readdirSync(join(p.stateDir, 'run'))).toEqual([]);
  });

  it('a missing executable: exit 1 naming it, nothing started', async () => {
    const { p, port } = await withGoodServer('    command: streamlitt run app.py\n');
    const r = await p.run(['up']);
    expect(r.stderr).toContain(`web: executable not found: streamlitt (cwd ${p.dir}); nothing was started\n`);
    expect(r.code).toBe(1);
    expect(p.tagged()).toEqual([]);
    expect(await answers(port)).toBe(false);
    expect(readdirSync(join(p.stateDir, 'run'))).toEqual([]);
  });

  it('a missing ready.command program: exit 1 at once, not after the ready timeout', async () => {
    const { p, port } = await withGoodServer(
      `    command: node ${serve} 0\n    ready: { command: [curll, -f, "http://127.0.0.1/"], timeout: 60s }\n`,
    );
    const r = await p.run(['up']);
    expect(r.stderr).toContain(
      `web: ready.command: executable not found: curll (cwd ${p.dir}); nothing was started\n`,
    );
    expect(r.code).toBe(1);
    expect(p.tagged()).toEqual([]);
    expect(await answers(port)).toBe(false);
    expect(readdirSync(join(p.stateDir, 'run'))).toEqual([]);
  });

  it("a folder a dependency creates is looked for only at the dependent's own start", async () => {
    const p = e2eProject();
    project = p;
    const [a, b] = [await freePort(), await freePort()];
    p.write(
      `services:\n  maker: { command: "mkdir -p made && exec node ${serve} ${a}", port: ${a} }\n` +
        `  web: { command: node ${serve} ${b}, port: ${b}, cwd: made, depends_on: [maker] }\n`,
    );
    await p.ok(['up']);
    expect(await answers(a)).toBe(true);
    expect(await answers(b)).toBe(true);
    expect(p.record('web')?.pid).toBeGreaterThan(0);
  });
});

describe('an unknown target', () => {
  it('names the manifest it looked in and what is there, exit 2, nothing started', async () => {
    const { p, port } = await withGoodServer(`    command: node ${serve} 0\n    group: ui\n`);
    await refusedCleanly(
      p,
      port,
      await p.run(['up', 'nosuchservice']),
      'ui-procs.yaml: no service or group named "nosuchservice" (services: good, web; groups: ui)\n',
    );
    await refusedCleanly(
      p,
      port,
      await p.run(['up', 'good', 'wbe']),
      'ui-procs.yaml: no service or group named "wbe" (services: good, web; groups: ui)\n  did you mean "web"?\n',
    );
  });
});

describe('logs -f FILE', () => {
  const hint = (file: string) =>
    `after "logs", -f means --follow, so "${file}" was read as a service name; ` +
    `give the manifest before the command (uiprocs -f ${file} logs) or as --file ${file}`;

  it('beside a manifest: the file is no service, and the message says how to name a manifest', async () => {
    const { p, port } = await withGoodServer(`    command: node ${serve} 0\n`);
    writeFileSync(join(p.dir, 'other.yaml'), 'version: 1\nservices:\n  solo: { command: "true" }\n');
    await refusedCleanly(
      p,
      port,
      await p.run(['logs', '-f', 'other.yaml']),
      `ui-procs.yaml: no service or group named "other.yaml" (services: good, web)\n  ${hint('other.yaml')}\n`,
    );
  });

  it('with no manifest around: the hint names --file, which works after logs too', async () => {
    const { p, port } = await withGoodServer(`    command: node ${serve} 0\n`);
    const elsewhere = mkdtempSync(join(tmpdir(), 'uiprocs-logs-f-'));
    try {
      const manifest = join(p.dir, 'ui-procs.yaml');
      const r = await runIn(p, elsewhere, ['logs', '-f', manifest]);
      expect(r.stderr).toContain(
        'create ui-procs.yaml, or name one with --file PATH (or set UIPROCS_FILE)\n',
      );
      expect(r.stderr.endsWith(`\n${hint(manifest)}\n`)).toBe(true);
      expect(r.stderr).not.toContain('pass -f');
      expect(r.code).toBe(2);
      expect(p.tagged()).toEqual([]);
      expect(await answers(port)).toBe(false);
      expect(existsSync(join(elsewhere, '.uiprocs'))).toBe(false);
      // What the hint says works.
      const viaFile = await runIn(p, elsewhere, ['logs', '--file', manifest]);
      expect(viaFile.code, viaFile.stderr).toBe(0);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
