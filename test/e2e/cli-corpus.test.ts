/**
 * The manifest error corpus and the command-line contract, through the real built CLI
 * (`node bin/uiprocs.js`, as users run it): what the unit corpus proves of loadManifest
 * must also hold for the process a user starts — exit code 2, stderr exactly the golden
 * text, no stack trace, nothing written beside the manifest.
 */
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { freePort } from '../helpers/procs.js';
import { bin, type CliResult, type E2eProject, e2eProject, programs, root } from './harness.js';

const BAD = join(root, 'test/fixtures/manifests/bad');
const cases = readdirSync(BAD).sort();
const scratch = mkdtempSync(join(tmpdir(), 'uiprocs-cli-corpus-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A controlled environment like the unit corpus's: no variable a case refers to is set
 * (API_TOKEN…), HOME and the cache live in a scratch folder, no colour, plain progress.
 */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(scratch, 'home'),
    XDG_CACHE_HOME: join(scratch, 'cache'),
    NO_COLOR: '1',
    CI: 'true',
    UIPROCS_PLAIN: '1',
    ...extra,
  };
}

function cli(args: string[], cwd: string, env: Record<string, string> = cleanEnv()): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every path under `dir`, recursively, with hidden ones (a `.uiprocs` would show here). */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

/** PIDs whose working directory is `dir`: a service started from a case folder would be one. */
function pidsIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`) === dir) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Runs `fn` over `items`, at most `limit` at a time (two cores; keep the corpus quick). */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A stack frame (`    at fn (file.js:1:2)`), not a hint such as "at most 1000 alias expansions". */
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('the bad-manifest corpus through the CLI', () => {
  it('validate: exit 2, stderr is exactly expected.txt, no stack trace, nothing created', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
    const results = await pool(cases, 4, async (name) => {
      const dir = join(BAD, name);
      const before = tree(dir);
      const r = await cli(['validate'], dir);
      return { name, r, before, after: tree(dir), expected: readFileSync(join(dir, 'expected.txt'), 'utf8') };
    });
    const wrong = results.filter(
      ({ r, before, after, expected }) =>
        r.code !== 2 ||
        r.stderr !== expected ||
        r.stdout !== '' ||
        STACK.test(r.stderr) ||
        after.join('\n') !== before.join('\n') ||
        after.some((f) => f.startsWith('.uiprocs')),
    );
    // One readable failure naming each case that broke, with what it printed.
    expect(
      wrong.map(({ name, r, before, after }) => ({
        name,
        code: r.code,
        stderr: r.stderr,
        created: after.filter((f) => !before.includes(f)),
      })),
    ).toEqual([]);
  }, 180_000);

  for (const name of [
    'duplicate-port',
    'cycle-of-two',
    'unset-variable',
    'ready-log-bad-regex',
    'command-unquoted-colon',
  ]) {
    it(`up on ${name}: exit 2 with the same diagnostics, nothing started, nothing created`, async () => {
      const dir = join(BAD, name);
      const before = tree(dir);
      const r = await cli(['up'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(readFileSync(join(dir, 'expected.txt'), 'utf8'));
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).not.toContain('started');
      expect(tree(dir)).toEqual(before);
      expect(pidsIn(dir)).toEqual([]);
    });
  }
});

describe('command line', () => {
  let project: E2eProject | undefined;
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
  });

  async function webProject(): Promise<E2eProject> {
    project = e2eProject();
    const [a, b] = [await freePort(), await freePort()];
    project.write(`
services:
  web: { command: node ${join(programs, 'serve.mjs')} ${a}, port: ${a}, group: ui }
  api: { command: node ${join(programs, 'serve.mjs')} ${b}, port: ${b} }
`);
    return project;
  }

  it('an unknown target is exit 2 naming it and the manifest, with a did-you-mean when one is near', async () => {
    const p = await webProject();
    const far = await p.run(['up', 'nosuch']);
    expect(far.code).toBe(2);
    expect(far.stderr).toBe(
      'ui-procs.yaml: no service or group named "nosuch" (services: web, api; groups: ui)\n',
    );
    const near = await p.run(['up', 'wbe']);
    expect(near.code).toBe(2);
    expect(near.stderr).toBe(
      'ui-procs.yaml: no service or group named "wbe" (services: web, api; groups: ui)\n  did you mean "web"?\n',
    );
    for (const r of [far, near]) expect(r.stderr).not.toMatch(STACK);
    expect(p.tagged()).toEqual([]);
  });

  it('an unknown command is exit 2; a near miss is suggested', async () => {
    const r = await cli(['frobnicate'], scratch);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    const near = await cli(['valdate'], scratch);
    expect(near.code).toBe(2);
    expect(near.stderr).toMatch(/did you mean validate\?/i);
    expect(r.stderr + near.stderr).not.toMatch(STACK);
  });

  it('--version prints package.json version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag], scratch);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  const options: Record<string, string[]> = {
    up: ['--dry-run', '--remove-orphans', '--watch', '--down-on-exit'],
    down: ['--timeout'],
    restart: ['[targets...]'],
    ps: ['--json', '--check'],
    logs: ['--follow', '--tail', '--no-prefix'],
    watch: ['--down-on-exit', '--remove-orphans'],
    config: ['--json'],
    validate: ['--help'],
  };
  it('every command has --help: exit 0, its options named', async () => {
    const top = await cli(['--help'], scratch);
    expect(top.code, top.stderr).toBe(0);
    for (const flag of ['--file', '--no-color', '--version']) expect(top.stdout).toContain(flag);
    await pool(Object.entries(options), 4, async ([command, flags]) => {
      expect(top.stdout).toContain(command);
      const r = await cli([command, '--help'], scratch);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toContain(`Usage: uiprocs ${command}`);
      for (const flag of flags) expect(r.stdout, `${command} ${flag}`).toContain(flag);
    });
  });

  it('config --json is byte-stable with sorted keys; config prints the same as YAML', async () => {
    const p = await webProject();
    const one = await p.run(['config', '--json']);
    const two = await p.run(['config', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const json = JSON.parse(one.stdout) as unknown;
    const unsorted: string[] = [];
    const walk = (value: unknown, at: string): void => {
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(v, `${at}[${i}]`);
      } else if (value !== null && typeof value === 'object') {
        const keys = Object.keys(value);
        if (keys.join('\0') !== [...keys].sort().join('\0')) unsorted.push(at || '(top)');
        for (const k of keys) walk((value as Record<string, unknown>)[k], `${at}.${k}`);
      }
    };
    walk(json, '');
    expect(unsorted).toEqual([]);
    expect(Object.keys((json as { services: object }).services)).toEqual(['api', 'web']);
    const yaml = await p.run(['config']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout.trimStart().startsWith('{')).toBe(false);
    expect(parseYaml(yaml.stdout)).toEqual(json);
    expect(p.tagged()).toEqual([]);
  });

  it('config quotes the strings a YAML 1.1 reader would take for booleans or numbers', async () => {
    const p = e2eProject();
    project = p;
    p.write(
      "services:\n  web:\n    command: node x.js\n    restart: 'no'\n    env: { AT: '12:30', DEBUG: 'off', N: 'no', PLAIN: hello }\n",
    );
    const r = await p.run(['config']);
    expect(r.code, r.stderr).toBe(0);
    for (const line of ['restart: "no"', 'AT: "12:30"', 'DEBUG: "off"', '"N": "no"', 'PLAIN: hello']) {
      expect(r.stdout).toContain(line);
    }
    const web = (
      parseYaml(r.stdout, { version: '1.1' }) as { services: { web: { env: object; restart: unknown } } }
    ).services.web;
    expect(web.restart).toBe('no');
    expect(web.env).toEqual({ AT: '12:30', DEBUG: 'off', N: 'no', PLAIN: 'hello' });
  });

  it('config prints limits as resolved (from the cache too), and a bad limit is a located exit 2', async () => {
    const p = e2eProject();
    project = p;
    p.write(
      'defaults:\n  limits: { memory: 512MB }\nservices:\n  web:\n    command: node x.js\n    limits: { cpu: 1.5, open_files: 4096 }\n  api: { command: node y.js, limits: { memory: 1GB } }\n',
    );
    const limits = { web: { memory: 536870912, cpu: 1.5, open_files: 4096 }, api: { memory: 1073741824 } };
    for (const args of [['config', '--json'], ['config', '--json'], ['config']]) {
      const r = await p.run(args);
      expect(r.code, r.stderr).toBe(0);
      const services = (parseYaml(r.stdout) as { services: Record<string, { limits?: unknown }> }).services;
      // Plus how each holds on this machine (runtime/place/ decides; test/e2e/limits.test.ts pins each way).
      const how = ['cgroup', 'systemd', 'rlimit', 'watched', 'not enforced'];
      for (const name of ['web', 'api'] as const) {
        const { enforced, ...values } = services[name]!.limits as { enforced: Record<string, string> };
        expect(values).toEqual(limits[name]);
        expect(Object.keys(enforced).sort()).toEqual(Object.keys(limits[name]).sort());
        for (const e of Object.values(enforced)) expect(how).toContain(e);
      }
    }
    p.write('services:\n  web:\n    command: node x.js\n    limits:\n      memory: 512 megs\n');
    const bad = await p.run(['validate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'ui-procs.yaml:7:15: services.web.limits.memory must be a size such as 512MB, 1.5GB, 512MiB, 1G or a number of bytes',
    );
    expect(p.tagged()).toEqual([]);
  });

  it('-f and UIPROCS_FILE pick a manifest in another folder; -f wins', async () => {
    const p = await webProject();
    const elsewhere = join(scratch, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const other = join(p.dir, 'other.yaml');
    writeFileSync(other, 'version: 1\nproject: other\nservices:\n  solo: { command: "true" }\n');
    const manifest = join(p.dir, 'ui-procs.yaml');
    const viaFlag = await cli(['-f', other, 'validate'], elsewhere);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect(viaFlag.stderr).toBe(`${other}: ok (1 service)\n`);
    const viaEnv = await cli(['config', '--json'], elsewhere, cleanEnv({ UIPROCS_FILE: manifest }));
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ project: p.project, manifest });
    const both = await cli(
      ['--file', other, 'config', '--json'],
      elsewhere,
      cleanEnv({ UIPROCS_FILE: manifest }),
    );
    expect(JSON.parse(both.stdout)).toMatchObject({ project: 'other', manifest: other });
    expect(tree(elsewhere)).toEqual([]);
  });

  it('no manifest found: exit 2 naming the folder searched, nothing created', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'uiprocs-nomanifest-'));
    try {
      for (const command of ['validate', 'up', 'ps']) {
        const r = await cli([command], empty);
        expect(r.code, command).toBe(2);
        expect(r.stderr, command).toContain(`no uiprocs manifest found in ${empty}`);
        expect(r.stderr).not.toMatch(STACK);
      }
      expect(tree(empty)).toEqual([]);
      const missing = await cli(['-f', join(empty, 'nope.yaml'), 'validate'], empty);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(join(empty, 'nope.yaml'));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('JavaScript and TypeScript configs load through the built CLI (ES module configs from a CommonJS bundle)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uiprocs-jsconfig-'));
    const body = "{ version: 1, project: 'js', services: { a: { command: 'node a.js', port: 4999 } } }";
    try {
      for (const [file, text] of [
        ['uiprocs.config.mjs', `export default ${body};`],
        ['uiprocs.config.js', `export default ${body};`],
        ['uiprocs.config.ts', `const c: Record<string, unknown> = ${body};\nexport default c;`],
      ] as const) {
        writeFileSync(join(dir, file), text);
        const r = await cli(['validate'], dir);
        expect(r.code, `${file}: ${r.stderr}`).toBe(0);
        expect(r.stdout + r.stderr).toContain(`${file}: ok (1 service)`);
        rmSync(join(dir, file));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
