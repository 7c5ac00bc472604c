/**
 * What the benches share: free loopback ports from the OS, the environment every measured
 * process gets, running the CLI, medians, the report, and a process's CPU and RSS.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');
export const bin = join(root, 'bin/uiprocs.js');
export const serve = join(root, 'test/fixtures/programs/serve.mjs');
export const runs = Number(process.env.BENCH_RUNS ?? 5);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
export const ms = (x) => `${x.toFixed(0)} ms`;
export const now = () => performance.now();

const handedOut = new Set();
/** A free port, never one already handed out (the kernel may give the same one twice in a row). */
export async function freePort() {
  for (;;) {
    const port = await kernelFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function kernelFreePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export function answers(port) {
  return new Promise((res) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

export async function allOpen(ports) {
  const pending = new Set(ports);
  while (pending.size > 0) {
    for (const p of [...pending]) if (await answers(p)) pending.delete(p);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The environment every measured process gets. NODE_EXTRA_CA_CERTS, when set, makes Node
 * parse a CA bundle at every start (≈40 ms here, before any line of uiprocs runs), a
 * setting of this machine rather than of a developer's; so it is left out, for uiprocs and
 * the bare scripts alike, and its cost is printed. BENCH_KEEP_ENV=1 keeps it.
 */
export const keepEnv = process.env.BENCH_KEEP_ENV === '1';
export const benchEnv = { ...process.env };
if (!keepEnv) delete benchEnv.NODE_EXTRA_CA_CERTS;

export function cli(dir, args, env = {}) {
  const t = now();
  try {
    execFileSync(process.execPath, [bin, ...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...benchEnv, CI: 'true', UIPROCS_PLAIN: '1', XDG_CACHE_HOME: join(dir, '.cache'), ...env },
    });
  } catch (error) {
    throw new Error(`uiprocs ${args.join(' ')} failed (exit ${error.status}) in ${dir}:\n${error.stderr}`);
  }
  return now() - t;
}

export function timeCmd(cmd, args, dir = root, env = benchEnv) {
  const t = now();
  execFileSync(cmd, args, { cwd: dir, stdio: 'ignore', env: { ...env, CI: 'true' } });
  return now() - t;
}

export const report = [];
export const say = (line) => {
  report.push(line);
  console.log(line);
};

/** utime + stime of a process, in clock ticks (USER_HZ, 100 here), and its VmRSS in kB. */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
export function rssKb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

/** The server's own start, bare: spawn → its port answers. */
export async function ownStart() {
  const p = await freePort();
  const t = now();
  const c = spawn(process.execPath, [serve, String(p), '127.0.0.1'], { stdio: 'ignore', env: benchEnv });
  await allOpen([p]);
  const took = now() - t;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
  return took;
}
