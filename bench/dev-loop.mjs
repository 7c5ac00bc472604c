/**
 * The dev loop's budgets (issue 22), run by `npm run bench` (BENCH_ONLY=devloop alone):
 *
 *   save → new code   a served file is saved → the server answers with the new content,
 *                     minus the server's own start (measured bare); budget 500 ms
 *   watch idle        the supervisor of one service, without `watch:` and then with a
 *                     watch over a tree of 50,000 files (45,000 of them in node_modules,
 *                     ignored), idle: the CPU and RSS the watch adds; budget 0.3 %, 15 MB
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allOpen,
  benchEnv,
  cli,
  cpuTicks,
  freePort,
  median,
  ms,
  now,
  root,
  rssKb,
  runs,
  say,
} from './lib.mjs';

const serveSource = join(root, 'test/fixtures/programs/serve-source.mjs');
const sleep = (t) => new Promise((r) => setTimeout(r, t));

async function body(port) {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
  } catch {
    return undefined;
  }
}

function supervisorPid(dir) {
  return JSON.parse(readFileSync(join(dir, '.uiprocs/run/.supervisor.json'), 'utf8')).pid;
}

async function supervisorSays(dir, re) {
  for (;;) {
    try {
      if (re.test(readFileSync(join(dir, '.uiprocs/logs/supervisor.log'), 'utf8'))) return;
    } catch {}
    await sleep(10);
  }
}

/** serve-source.mjs started bare: spawn → its port answers. */
async function ownStart(dir) {
  const port = await freePort();
  const t = now();
  const c = spawn(process.execPath, [serveSource, join(dir, 'src/app.txt')], {
    stdio: 'ignore',
    env: { ...benchEnv, PORT: String(port) },
  });
  await allOpen([port]);
  const took = now() - t;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
  return took;
}

export async function saveToNewCode() {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/app.txt'), 'v0\n');
  const port = await freePort();
  writeFileSync(
    join(dir, 'ui-procs.yaml'),
    `version: 1\nproject: bench\nservices:\n  api: { command: node ${serveSource} src/app.txt, port: ${port}, watch: [src] }\n`,
  );
  try {
    cli(dir, ['up']);
    await supervisorSays(dir, /api: watching src for changes/);
    const totals = [];
    const owns = [];
    for (let i = 1; i <= runs; i++) {
      owns.push(await ownStart(dir));
      const t = now();
      writeFileSync(join(dir, 'src/app.txt'), `v${i}\n`);
      while ((await body(port)) !== `v${i}`) await sleep(5);
      totals.push(now() - t);
    }
    const [total, own] = [median(totals), median(owns)];
    say(
      `watch: save → the server answers with the new code ${ms(total)} (median of ${runs}); its own start ${ms(own)}; uiprocs' share ${ms(total - own)} of it, the 300 ms debounce included (budget: own start + 500 ms)`,
    );
  } finally {
    cli(dir, ['down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A tree of `files` files, `perDir` to a folder, under `dir`. */
function tree(dir, files, perDir = 50) {
  for (let d = 0; d * perDir < files; d++) {
    const sub = join(dir, `d${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < perDir && d * perDir + f < files; f++) writeFileSync(join(sub, `f${f}.js`), '');
  }
}

/** The idle supervisor's CPU % of a core and RSS over `seconds`, after it settled. */
async function idle(dir, seconds) {
  const pid = supervisorPid(dir);
  await sleep(3000);
  const c0 = cpuTicks(pid);
  const t0 = now();
  let rss = rssKb(pid);
  for (let waited = 0; waited < seconds; waited += 5) {
    await sleep(Math.min(5, seconds - waited) * 1000);
    rss = Math.max(rss, rssKb(pid));
  }
  const cpu = (cpuTicks(pid) - c0) / 100 / ((now() - t0) / 1000);
  return { cpu: cpu * 100, rss: rss / 1024 };
}

export async function watchIdle() {
  const seconds = Number(process.env.BENCH_WATCH_S ?? 30);
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));
  const t = now();
  tree(join(dir, 'src'), 5000);
  tree(join(dir, 'node_modules'), 45000);
  const made = now() - t;
  writeFileSync(join(dir, 'src/app.txt'), 'v0\n');
  const port = await freePort();
  const manifest = (watch) =>
    `version: 1\nproject: bench\nservices:\n  api: { command: node ${serveSource} src/app.txt, port: ${port}, restart: always${watch} }\n`;
  try {
    writeFileSync(join(dir, 'ui-procs.yaml'), manifest(''));
    cli(dir, ['up']);
    const without = await idle(dir, seconds);
    cli(dir, ['down']);
    writeFileSync(join(dir, 'ui-procs.yaml'), manifest(', watch: ["."]'));
    const t0 = now();
    cli(dir, ['up']);
    await supervisorSays(dir, /api: watching \. for changes/);
    const scan = now() - t0;
    const withWatch = await idle(dir, seconds);
    say(
      `watch idle: supervisor of 1 service, ${seconds} s: without watch CPU ${without.cpu.toFixed(2)} %, RSS ${without.rss.toFixed(1)} MiB; watching 50,000 files (45,000 in node_modules, ignored; tree made in ${ms(made)}) CPU ${withWatch.cpu.toFixed(2)} %, RSS ${withWatch.rss.toFixed(1)} MiB: +${(withWatch.cpu - without.cpu).toFixed(2)} %, +${(withWatch.rss - without.rss).toFixed(1)} MiB (budget 0.3 %, 15 MB); first scan ${ms(scan)} from up`,
    );
  } finally {
    cli(dir, ['down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A service printing 100 MB of 100-byte lines (one write each): straight to a file, then
 * under uiprocs with the supervisor stamping its log. Its own time to write them (it says
 * `done in N ms`), the supervisor's CPU meanwhile, and the index's size.
 */
export async function logThroughput() {
  const mb = Number(process.env.BENCH_LOG_MB ?? 100);
  const printLines = join(root, 'test/fixtures/programs/print-lines.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));
  const doneIn = (text) => Number(/done in (\d+) ms/.exec(text)?.[1]);
  const bare = [];
  const under = [];
  const cpu = [];
  let index = 0;
  writeFileSync(
    join(dir, 'ui-procs.yaml'),
    `version: 1\nproject: bench\nservices:\n  chatty: { command: node ${printLines} ${mb}, log: { max_size: 1GB } }\n`,
  );
  const straight = async (i) => {
    const file = join(dir, `bare${i}.log`);
    const fd = openSync(file, 'a');
    const c = spawn(process.execPath, [printLines, String(mb)], {
      stdio: ['ignore', fd, 'pipe'],
      env: benchEnv,
    });
    let err = '';
    c.stderr.on('data', (d) => {
      err += d;
    });
    while (!/done in/.test(err)) await sleep(20);
    bare.push(doneIn(err));
    c.kill('SIGKILL');
    rmSync(file, { force: true });
  };
  const stamped = async () => {
    rmSync(join(dir, '.uiprocs/logs'), { recursive: true, force: true });
    cli(dir, ['up']);
    const pid = supervisorPid(dir);
    const c0 = cpuTicks(pid);
    const log = join(dir, '.uiprocs/logs/chatty.log');
    for (;;) {
      let text = '';
      try {
        if (statSync(log).size > mb * 1024 * 1024) text = readFileSync(log, 'utf8').slice(-200);
      } catch {}
      if (/done in/.test(text)) {
        under.push(doneIn(text));
        break;
      }
      await sleep(50);
    }
    await sleep(300);
    cpu.push((cpuTicks(pid) - c0) * 10);
    index = statSync(`${log}.times`).size;
    cli(dir, ['down']);
  };
  try {
    // Alternated, so the machine's drift (page cache, other load) falls on both alike.
    for (let i = 0; i < runs; i++) {
      await straight(i);
      await stamped();
    }
    const [b, u] = [median(bare), median(under)];
    say(
      `logs: a service writing ${mb} MB in 100-byte lines: ${ms(b)} straight to a file, ${ms(u)} under uiprocs (medians of ${runs}, alternated) with its log stamped (${(u / b).toFixed(2)}×, budget 1.2×); the supervisor's CPU meanwhile ${median(cpu)} ms (median of ${runs}); index ${(index / 1024).toFixed(0)} KB`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
