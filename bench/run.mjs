#!/usr/bin/env node
/**
 * `npm run bench`: uiprocs' overhead over the processes it runs, measured (never asserted
 * in a timed test). Every number is a median of several runs on this machine.
 *
 *   startup     node -e 0, uiprocs --version, uiprocs ps (warm cache)
 *   mcp         `uiprocs mcp`: spawn → its `initialize` answer, vs a bare Node answering the
 *               same line; then its first `ps` call (bench/mcp.mjs)
 *   completion  a TAB: `uiprocs __complete` for a command, and for `down <TAB>` of 50
 *               services (bench/completion.mjs)
 *   ls          `uiprocs ls` of 20 registered projects from a folder of none (bench/ls.mjs)
 *   up          N trivial servers to all-ready: uiprocs up vs a bare script (run as a
 *               command, like uiprocs) that spawns the same servers and polls their ports
 *               every 10 ms (N = 10, 50)
 *   ps / no-op  `ps` and a no-op `up` with N services running (ps right after the up: the
 *               machine is still settling from starting N servers)
 *   many        `ps` and a no-op `up` with 200 services running (BENCH_MANY), each timed
 *               once the servers have settled: what every look costs a project that size
 *   down        `down` of N well-behaved servers vs a bare script that sends SIGTERM to
 *               their PIDs and polls until they are gone
 *   limits      50 servers without limits, then with memory/cpu/processes/open_files each
 *               (cgroups where the machine allows): `up` to ready, `ps`, `down`
 *   validate    `uiprocs validate` on a 500-service manifest (cold cache and warm)
 *   watch       save the manifest → the new service's port opens, minus its own start time
 *   devloop     watch: on a service (bench/dev-loop.mjs): save → new code answering, and
 *               the idle cost of watching 50,000 files; a service writing 100 MB of lines
 *               under uiprocs (its log stamped) vs straight to a file
 *   supervisor  the detached supervisor's idle cost: `up` of 50 trivial servers with
 *               `restart: always`, then its CPU (utime + stime of /proc/<pid>/stat) over
 *               60 s (BENCH_SUPERVISOR_S) and its RSS (VmRSS), then `down`
 *   dashboard   `uiprocs dashboard` beside 50 running servers: its CPU and RSS over 60 s
 *               (BENCH_DASHBOARD_S) with no page open, then with one events client, and
 *               the time from a server's `kill -9` to the `services` event saying so
 *
 * Servers listen on ports the OS picked free a moment before (port 0), on loopback only.
 * Everything started is stopped by PID at the end.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allOpen,
  benchEnv,
  bin,
  cli,
  cpuTicks,
  freePort,
  keepEnv,
  median,
  ms,
  now,
  ownStart,
  report,
  root,
  rssKb,
  runs,
  say,
  serve,
  timeCmd,
} from './lib.mjs';

const sizes = (process.env.BENCH_SIZES ?? '10,50').split(',').map(Number);

async function project(n, extra = '') {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const services = ports
    .map((p, i) => `  s${i}: { command: node ${serve} ${p} 127.0.0.1, port: ${p}${extra} }`)
    .join('\n');
  writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: bench\nservices:\n${services}\n`);
  return { dir, ports };
}

/**
 * The bare scripts: what a person would write by hand, run as commands the way uiprocs is
 * (so both pay for starting Node). `start` spawns the servers detached, polls their ports
 * every 10 ms and exits when all answer, printing the PIDs; `stop` sends SIGTERM to those
 * PIDs and polls until they are gone.
 */
const bareStart = `
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
const [serve, ...ports] = process.argv.slice(2);
const pids = ports.map((p) => spawn(process.execPath, [serve, p, '127.0.0.1'], { detached: true, stdio: 'ignore' }).pid);
const answers = (port) => new Promise((res) => { const s = connect({ port: Number(port), host: '127.0.0.1' }); s.once('connect', () => { s.destroy(); res(true); }); s.once('error', () => res(false)); });
let pending = [...ports];
while (pending.length > 0) {
  const open = await Promise.all(pending.map(answers));
  pending = pending.filter((_, i) => !open[i]);
  if (pending.length > 0) await new Promise((r) => setTimeout(r, 10));
}
console.log(pids.join(' '));
process.exit(0);
`;
const bareStop = `
const pids = process.argv.slice(2).map(Number);
for (const pid of pids) process.kill(pid, 'SIGTERM');
const alive = (pid) => { try { process.kill(pid, 0); return !require('node:fs').readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].startsWith('Z'); } catch { return false; } };
const wait = () => (pids.some(alive) ? setTimeout(wait, 2) : process.exit(0));
wait();
`;

async function bare(ports) {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bare-'));
  writeFileSync(join(dir, 'start.mjs'), bareStart);
  writeFileSync(join(dir, 'stop.cjs'), bareStop);
  let t = now();
  const pids = execFileSync(process.execPath, [join(dir, 'start.mjs'), serve, ...ports.map(String)], {
    encoding: 'utf8',
    env: benchEnv,
  })
    .trim()
    .split(' ');
  const up = now() - t;
  t = now();
  execFileSync(process.execPath, [join(dir, 'stop.cjs'), ...pids], { env: benchEnv });
  const down = now() - t;
  rmSync(dir, { recursive: true, force: true });
  return { up, down };
}

async function startup() {
  const { dir } = await project(3);
  cli(dir, ['validate']);
  const base = median(Array.from({ length: runs * 2 }, () => timeCmd(process.execPath, ['-e', '0'])));
  if (process.env.NODE_EXTRA_CA_CERTS && !keepEnv) {
    const withCerts = median(
      Array.from({ length: runs * 2 }, () => timeCmd(process.execPath, ['-e', '0'], root, process.env)),
    );
    say(
      `note: NODE_EXTRA_CA_CERTS is set here; it makes node -e 0 take ${ms(withCerts)} instead of ${ms(base)}. Every figure below is without it (BENCH_KEEP_ENV=1 keeps it).`,
    );
  }
  const version = median(
    Array.from({ length: runs * 2 }, () => timeCmd(process.execPath, [bin, '--version'])),
  );
  const ps = median(Array.from({ length: runs * 2 }, () => cli(dir, ['ps'])));
  say(
    `startup: node -e 0 ${ms(base)}; uiprocs --version ${ms(version)} (+${ms(version - base)}); ps of 3 stopped services ${ms(ps)} (+${ms(ps - base)})`,
  );
  rmSync(dir, { recursive: true, force: true });
}

async function lifecycle(n) {
  const ups = [];
  const bares = [];
  const downs = [];
  const bareDowns = [];
  const pss = [];
  const noops = [];
  /** The machine's own speed during these runs: this VM's drifts by 40% within an hour. */
  const nodes = [];
  for (let r = 0; r < runs; r++) {
    nodes.push(timeCmd(process.execPath, ['-e', '0']));
    const { dir, ports } = await project(n);
    const b = await bare(ports);
    bares.push(b.up);
    bareDowns.push(b.down);
    ups.push(cli(dir, ['up']));
    await allOpen(ports);
    pss.push(cli(dir, ['ps']));
    noops.push(cli(dir, ['up']));
    downs.push(cli(dir, ['down']));
    rmSync(dir, { recursive: true, force: true });
  }
  const [u, b] = [median(ups), median(bares)];
  say(
    `N=${n}: up ${ms(u)} vs bare script ${ms(b)} (${(u / b).toFixed(2)}x); ps ${ms(median(pss))}; no-op up ${ms(median(noops))}; down ${ms(median(downs))} vs bare stop script ${ms(median(bareDowns))} (node -e 0 meanwhile: ${ms(median(nodes))})`,
  );
}

/**
 * `ps` and a no-op `up` of one project of many services (BENCH_MANY, default 200), started
 * once and settled, then timed turn about. A no-op `up` confirms every service ready by the
 * kernel's socket table; it should cost about what `ps` does, which reads that table once.
 */
async function many(n) {
  const { dir, ports } = await project(n);
  try {
    cli(dir, ['up']);
    await allOpen(ports);
    const pss = [];
    const noops = [];
    const nodes = [];
    for (let r = 0; r < runs; r++) {
      nodes.push(timeCmd(process.execPath, ['-e', '0']));
      pss.push(cli(dir, ['ps']));
      noops.push(cli(dir, ['up']));
    }
    say(
      `N=${n} running: ps ${ms(median(pss))}; no-op up ${ms(median(noops))} (node -e 0 meanwhile: ${ms(median(nodes))})`,
    );
  } finally {
    cli(dir, ['down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Limits (issue 14): 50 servers without limits, then 50 each with memory, cpu, processes
 * and open_files (placed the way this machine allows: cgroup v1 as root here), timed the
 * same way: `up` to all ready, `ps`, `down`. What limits cost is the difference.
 */
async function limits(n) {
  const variants = [
    ['no limits', ''],
    ['limits', ', limits: { memory: 256MB, cpu: 1, processes: 64, open_files: 1024 }'],
  ];
  for (const [label, extra] of variants) {
    const { dir, ports } = await project(n, extra);
    try {
      const t = now();
      cli(dir, ['up']);
      await allOpen(ports);
      const up = now() - t;
      const pss = [];
      for (let r = 0; r < runs; r++) pss.push(cli(dir, ['ps']));
      const down = cli(dir, ['down']);
      say(`N=${n} ${label}: up ${ms(up)}; ps ${ms(median(pss))}; down ${ms(down)}`);
    } finally {
      cli(dir, ['down']);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function validate500() {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));
  const services = Array.from(
    { length: 500 },
    (_, i) =>
      `  svc${i}:\n    command: node server.js --port \${PORT}\n    port: ${10000 + i}\n    group: g${i % 10}\n    env: { MODEL: m${i} }\n    ready: { http: /health, timeout: 30s }`,
  ).join('\n');
  writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: big\nservices:\n${services}\n`);
  const cold = median(Array.from({ length: runs }, () => cli(dir, ['validate'], { UIPROCS_NO_CACHE: '1' })));
  cli(dir, ['validate']);
  const warm = median(Array.from({ length: runs }, () => cli(dir, ['validate'])));
  say(`validate 500 services: ${ms(cold)} without cache, ${ms(warm)} with the cache`);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Save the manifest with one more service → that service's port opens, minus the server's
 * own start time (measured bare, right before, never in parallel with the save). One watch,
 * `runs` saves, each waited for to the end (its ready line) before the next.
 */
async function watchLatency() {
  const { dir, ports } = await project(1);
  const child = spawn(process.execPath, [bin, 'watch'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...benchEnv,
      CI: 'true',
      UIPROCS_PLAIN: '1',
      NO_COLOR: '1',
      XDG_CACHE_HOME: join(dir, '.cache'),
    },
  });
  let err = '';
  /** When each stderr line arrived: where the time goes, from watch's own progress lines. */
  const seen = [];
  child.stderr.setEncoding('utf8').on('data', (d) => {
    err += d;
    const t = now();
    for (const line of d.split('\n')) if (line) seen.push({ t, line });
  });
  const printed = async (re) => {
    while (!re.test(err)) await new Promise((r) => setTimeout(r, 5));
  };
  const when = (re, after) => seen.find((e) => e.t >= after && re.test(e.line))?.t;
  await printed(/watching/);
  await allOpen(ports);
  const lines = [`  s0: { command: node ${serve} ${ports[0]} 127.0.0.1, port: ${ports[0]} }`];
  const totals = [];
  const owns = [];
  const shares = [];
  const phases = { detect: [], plan: [], spawn: [], open: [] };
  for (let i = 1; i <= runs; i++) {
    owns.push(await ownStart());
    const port = await freePort();
    lines.push(`  add${i}: { command: node ${serve} ${port} 127.0.0.1, port: ${port} }`);
    const t = now();
    writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: bench\nservices:\n${lines.join('\n')}\n`);
    await allOpen([port]);
    const open = now();
    totals.push(open - t);
    shares.push(open - t - owns.at(-1));
    await printed(new RegExp(`add${i}\\s+ready in`));
    // save → "changed; reconciling" (chokidar + debounce) → plan printed (load, lock,
    // observe, plan) → "started pid" (port check, spawn) → port open (the server itself).
    const reconciling = when(/changed; reconciling/, t);
    const planned = when(new RegExp(`^start\\s+add${i}`), t);
    const started = when(new RegExp(`add${i}\\s+started pid`), t);
    if (reconciling && planned && started) {
      phases.detect.push(reconciling - t);
      phases.plan.push(planned - reconciling);
      phases.spawn.push(started - planned);
      phases.open.push(open - started);
    }
  }
  const [total, own] = [median(totals), median(owns)];
  const phase = (xs) => (xs.length > 0 ? ms(median(xs)) : '?');
  say(
    `watch: save → new port open ${ms(total)} (median of ${runs}); the server's own start ${ms(own)}; uiprocs' share ${ms(median(shares))} (median of the per-run differences)`,
  );
  say(
    `watch phases (medians): save → reconcile starts ${phase(phases.detect)}; → plan ${phase(phases.plan)}; → spawned ${phase(phases.spawn)}; → port open ${phase(phases.open)}`,
  );
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  cli(dir, ['down']);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The supervisor's idle budget (issue 13): 50 supervised services, ≤ 0.3 % of one core over
 * a minute, ≤ 45 MB RSS. Sampled once it has settled (a few s after `up`), then over the
 * window; RSS is the largest of the samples taken every 5 s.
 */
async function supervisorIdle(n = 50) {
  const seconds = Number(process.env.BENCH_SUPERVISOR_S ?? 60);
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const services = ports
    .map((p, i) => `  s${i}: { command: node ${serve} ${p} 127.0.0.1, port: ${p}, restart: always }`)
    .join('\n');
  writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: bench\nservices:\n${services}\n`);
  try {
    cli(dir, ['up']);
    const record = JSON.parse(readFileSync(join(dir, '.uiprocs/run/.supervisor.json'), 'utf8'));
    const pid = record.pid;
    await new Promise((r) => setTimeout(r, 5000));
    const hz = 100;
    const t0 = now();
    const c0 = cpuTicks(pid);
    let rss = rssKb(pid);
    for (let waited = 0; waited < seconds; waited += 5) {
      await new Promise((r) => setTimeout(r, Math.min(5, seconds - waited) * 1000));
      rss = Math.max(rss, rssKb(pid));
    }
    const cpuS = (cpuTicks(pid) - c0) / hz;
    const wallS = (now() - t0) / 1000;
    say(
      `supervisor: ${n} supervised idle services, ${wallS.toFixed(0)} s: CPU ${((cpuS / wallS) * 100).toFixed(2)} % of one core (${(cpuS * 1000).toFixed(0)} ms), RSS ${(rss / 1024).toFixed(1)} MiB (budget 0.3 %, 45 MB)`,
    );
  } finally {
    cli(dir, ['down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The dashboard's cost (issue 15): nothing while no page is open (its looks run only with a
 * client), and with one events client the 1 s look of 50 rows plus the log followers. Then
 * how long a death takes to reach the page: kill -9 a server, wait for the `services` event
 * whose row is not running (5 servers, median).
 */
async function dashboardIdle(n = 50) {
  const seconds = Number(process.env.BENCH_DASHBOARD_S ?? 60);
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const services = ports
    .map((p, i) => `  s${i}: { command: node ${serve} ${p} 127.0.0.1, port: ${p} }`)
    .join('\n');
  writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: bench\nservices:\n${services}\n`);
  const env = { ...benchEnv, CI: 'true', UIPROCS_PLAIN: '1', XDG_CACHE_HOME: join(dir, '.cache') };
  let board;
  let stream;
  try {
    cli(dir, ['up']);
    const port = await freePort();
    board = spawn(process.execPath, [bin, 'dashboard', '--port', String(port)], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((res) => board.stdout.once('data', res));
    const pid = board.pid;
    const window = async (what) => {
      await new Promise((r) => setTimeout(r, 3000));
      const t0 = now();
      const c0 = cpuTicks(pid);
      let rss = rssKb(pid);
      for (let waited = 0; waited < seconds; waited += 5) {
        await new Promise((r) => setTimeout(r, Math.min(5, seconds - waited) * 1000));
        rss = Math.max(rss, rssKb(pid));
      }
      const cpuS = (cpuTicks(pid) - c0) / 100;
      const wallS = (now() - t0) / 1000;
      say(
        `dashboard: ${n} running services, ${what}, ${wallS.toFixed(0)} s: CPU ${((cpuS / wallS) * 100).toFixed(2)} % of one core (${(cpuS * 1000).toFixed(0)} ms), RSS ${(rss / 1024).toFixed(1)} MiB`,
      );
    };
    await window('no page open');
    const events = [];
    let waiter;
    stream = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/events',
        // The dashboard answers its owner only: the token from the state dir (issue #20).
        headers: {
          Host: `127.0.0.1:${port}`,
          'X-Uiprocs-Token': readFileSync(join(dir, '.uiprocs', 'dashboard.token'), 'utf8').trim(),
        },
      },
      (res) => {
        if (res.statusCode !== 200) throw new Error(`GET /api/events answered ${res.statusCode}`);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          buf += chunk;
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            if (!block.startsWith('event: services')) continue;
            const rows = JSON.parse(/^data: (.*)$/m.exec(block)[1]);
            events.push(rows);
            waiter?.(rows);
          }
        });
      },
    );
    stream.end();
    await window('one events client');
    const latencies = [];
    for (let i = 0; i < 5; i++) {
      const rows = events.at(-1);
      const row = rows.find((r) => r.name === `s${i}`);
      const seen = new Promise((res) => {
        waiter = (r) => {
          if (r.find((x) => x.name === row.name)?.status !== 'running') res();
        };
      });
      const t = now();
      process.kill(row.pid, 'SIGKILL');
      await seen;
      latencies.push(now() - t);
      await new Promise((r) => setTimeout(r, 300));
    }
    say(
      `dashboard: kill -9 → services event: median ${ms(median(latencies))} (${latencies.map((x) => x.toFixed(0)).join(', ')} ms; looks every 1 s)`,
    );
  } finally {
    stream?.destroy();
    board?.kill('SIGINT');
    cli(dir, ['down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

// BENCH_ONLY=mcp, completion, ls, watch, devloop, lifecycle, many, limits supervisor or dashboard: just that measurement (while working on it).
if (process.env.BENCH_ONLY === 'mcp') {
  await (await import('./mcp.mjs')).mcpStartup();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'ls') {
  await (await import('./ls.mjs')).lsCost();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'completion') {
  await (await import('./completion.mjs')).completionCost();
  await (await import('./ls.mjs')).lsCost();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'supervisor') {
  await supervisorIdle();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'dashboard') {
  await dashboardIdle();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'devloop') {
  const { saveToNewCode, watchIdle, logThroughput } = await import('./dev-loop.mjs');
  await saveToNewCode();
  await watchIdle();
  await logThroughput();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'watch') {
  await watchLatency();
  process.exit(0);
}
const manySize = Number(process.env.BENCH_MANY ?? 200);
if (process.env.BENCH_ONLY === 'many') {
  await many(manySize);
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'limits') {
  await limits(50);
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'lifecycle') {
  for (const n of sizes) await lifecycle(n);
  process.exit(0);
}
await startup();
await (await import('./mcp.mjs')).mcpStartup();
await (await import('./completion.mjs')).completionCost();
for (const n of sizes) await lifecycle(n);
await many(manySize);
await limits(50);
await validate500();
await watchLatency();
const devLoop = await import('./dev-loop.mjs');
await devLoop.saveToNewCode();
await devLoop.watchIdle();
await devLoop.logThroughput();
await supervisorIdle();
await dashboardIdle();
console.log('\nsummary\n' + report.join('\n'));
