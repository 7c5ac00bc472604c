/**
 * A person at a terminal: with stderr a TTY (and CI unset) `up` draws listr2 progress.
 * The CLI runs under a real pseudo-terminal (util-linux `script`), so what is checked is
 * what a user sees — and Ctrl-C half-way through `up` must leave no lock behind and the
 * cursor visible.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import {
  bin,
  type CliResult,
  type E2eProject,
  e2eProject,
  isGone,
  liveSupervisor,
  programs,
} from './harness.js';

const hasScript = existsSync('/usr/bin/script') || existsSync('/bin/script');
const serve = join(programs, 'serve.mjs');
const HIDE = '\u001b[?25l';
const SHOW = '\u001b[?25h';

/** The caller's environment as a person's shell has it: no CI, no forced plain output. */
function terminalEnv(p: E2eProject): Record<string, string> {
  const env = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(p.dir, '.cache') } as Record<
    string,
    string
  >;
  for (const key of ['CI', 'UIPROCS_PLAIN', 'FORCE_COLOR', 'GITHUB_ACTIONS']) delete env[key];
  return env;
}

/** `uiprocs ARGS` under a pseudo-terminal of `cols` columns (0: a pty nobody sized). */
function inPty(p: E2eProject, args: string[], cols = 100): Promise<CliResult> {
  const size = cols > 0 ? `stty cols ${cols} rows 40; ` : '';
  const command = `${size}exec ${process.execPath} ${bin} ${args.join(' ')}`;
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qfec', command, '/dev/null'],
      { cwd: p.dir, env: terminalEnv(p), timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

async function ps(p: E2eProject): Promise<StatusRow[]> {
  const r = await p.run(['ps', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusRow[];
}

const STACK = /^\s+at .+:\d+:\d+\)?\r?$/m;

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

async function twoServices(): Promise<{ p: E2eProject; ports: number[] }> {
  const p = e2eProject();
  project = p;
  const ports = [await freePort(), await freePort()];
  p.write(`
services:
  frontend: { command: node ${serve} ${ports[0]}, port: ${ports[0]} }
  backend: { command: node ${serve} ${ports[1]}, port: ${ports[1]} }
`);
  return { p, ports };
}

describe.skipIf(!hasScript)('progress on a terminal', () => {
  it('up draws listr2 progress: names, ✔, no exception; the services run; down too', async () => {
    const { p } = await twoServices();
    const up = await inPty(p, ['up']);
    expect(up.code, up.stdout).toBe(0);
    expect(up.stdout).toContain(HIDE); // listr2 drew it (the plain renderer never hides the cursor)
    expect(up.stdout.lastIndexOf(SHOW)).toBeGreaterThan(up.stdout.lastIndexOf(HIDE));
    expect(up.stdout).toMatch(/✔ frontend +ready in/);
    expect(up.stdout).toMatch(/✔ backend +ready in/);
    expect(up.stdout).not.toMatch(/error|exception/i);
    expect(up.stdout).not.toMatch(STACK);
    expect((await ps(p)).map((r) => [r.name, r.status])).toEqual([
      ['frontend', 'running'],
      ['backend', 'running'],
    ]);

    const down = await inPty(p, ['down']);
    expect(down.code, down.stdout).toBe(0);
    expect(down.stdout).toMatch(/✔ frontend +stopped in/);
    expect(p.tagged()).toEqual([]);
  });

  it('a pty that reports no width gets plain lines, not titles wrapped one character per line', async () => {
    const { p } = await twoServices();
    const up = await inPty(p, ['up'], 0);
    expect(up.code, up.stdout).toBe(0);
    expect(up.stdout).toMatch(/✔ frontend +ready in/);
    expect(up.stdout).toMatch(/✔ backend +ready in/);
    expect(up.stdout.split('\n').filter((l) => /^\s*\S\r?$/.test(l))).toEqual([]);
    expect((await ps(p)).every((r) => r.status === 'running')).toBe(true);
  });
});

/** PID of `node bin/uiprocs.js …` running in `dir` (the child `script` started). */
function cliPid(dir: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[1] === bin && readlinkSync(`/proc/${name}/cwd`) === dir) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

describe('Ctrl-C during up', () => {
  async function slowProject(): Promise<E2eProject> {
    const p = e2eProject();
    project = p;
    const [slow, fast] = [await freePort(), await freePort()];
    p.write(`
services:
  slow: { command: node ${join(programs, 'slow-serve.mjs')} 4000 ${slow}, port: ${slow} }
  fast: { command: node ${serve} ${fast}, port: ${fast} }
`);
    return p;
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: exit ${signal === 'SIGINT' ? 130 : 143}, the lock is released, the next command does not wait`, async () => {
      const p = await slowProject();
      const cli = p.start(['up']);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        cli.once('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      await waitFor(() => p.record('slow') !== undefined, { what: 'slow spawned', timeout: 20_000 });
      expect(existsSync(join(p.stateDir, 'lock'))).toBe(true);
      let stderr = '';
      cli.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      cli.kill(signal);
      const end = await exited;
      expect(end).toEqual({ code: signal === 'SIGINT' ? 130 : 143, signal: null });
      expect(existsSync(join(p.stateDir, 'lock'))).toBe(false);
      // It says what it left running, by PID, and how to stop it; no stack trace.
      const slow = p.record('slow')!;
      expect(stderr).toContain(`uiprocs: interrupted: left running `);
      expect(stderr).toContain(`slow (pid ${slow.pid}, not ready yet)`);
      expect(stderr).toContain('`uiprocs down` stops them');
      expect(stderr).not.toMatch(STACK);
      expect(isGone(slow.pid)).toBe(false);

      const t0 = performance.now();
      const down = await p.run(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).not.toContain('took over the state lock');
      expect(down.stderr).not.toContain('waiting for');
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(p.tagged()).toEqual([]);
    });
  }

  it('a service with a restart policy keeps it: the supervisor runs after Ctrl-C and restarts a kill -9', async () => {
    const p = e2eProject();
    project = p;
    const [slow, kept] = [await freePort(), await freePort()];
    p.write(`
services:
  slow: { command: node ${join(programs, 'slow-serve.mjs')} 8000 ${slow}, port: ${slow} }
  kept: { command: node ${serve} ${kept}, port: ${kept}, restart: always }
`);
    const cli = p.start(['up']);
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    const first = await waitFor(() => p.record('kept')?.pid, { what: 'kept spawned', timeout: 20_000 });
    await waitFor(() => p.record('slow'), { what: 'slow spawned', timeout: 20_000 });
    cli.kill('SIGINT');
    expect(await exited).toBe(130);
    // Before the fix the CLI exited at once and no supervisor was started.
    await liveSupervisor(p, 'the supervisor ensured by the interrupted up');
    process.kill(first, 'SIGKILL');
    const second = await waitFor(
      () => {
        const pid = p.record('kept')?.pid;
        return pid !== undefined && pid !== first ? pid : undefined;
      },
      { what: 'kept restarted by the supervisor', timeout: 20_000 },
    );
    expect(isGone(second)).toBe(false);
    expect((await p.run(['down'])).code).toBe(0);
    expect(p.tagged()).toEqual([]);
  });

  it.skipIf(!hasScript)(
    'on a terminal: Ctrl-C mid-listr shows the cursor again and frees the lock',
    async () => {
      const p = await slowProject();
      const script = spawn(
        'script',
        ['-qfec', `stty cols 100 rows 40; exec ${process.execPath} ${bin} up`, '/dev/null'],
        { cwd: p.dir, env: terminalEnv(p), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      script.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      // 'close', not 'exit': the pty's last bytes (the cursor shown again) may arrive after exit.
      const exited = new Promise<number | null>((resolve) => script.once('close', (code) => resolve(code)));
      try {
        await waitFor(() => p.record('slow') !== undefined && out.includes(HIDE), {
          what: 'listr drawing, slow spawned',
          timeout: 20_000,
        }).catch((error: Error) => {
          // Seen once in ~6 full runs: say what the terminal showed, so the next one is readable.
          throw new Error(`${error.message}; the terminal showed:\n${out.slice(-2000)}`);
        });
        const pid = await waitFor(() => cliPid(p.dir), { what: 'the CLI under script' });
        process.kill(pid, 'SIGINT');
        expect(await exited).toBe(130);
        await waitFor(() => isGone(pid));
      } finally {
        script.kill('SIGKILL');
      }
      expect(out.lastIndexOf(SHOW)).toBeGreaterThan(out.lastIndexOf(HIDE));
      expect(out).not.toMatch(STACK);
      expect(existsSync(join(p.stateDir, 'lock'))).toBe(false);
      const up = await p.run(['up']);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).not.toContain('took over the state lock');
      expect((await ps(p)).map((r) => r.status)).toEqual(['running', 'running']);
    },
  );
});
