#!/usr/bin/env node
/**
 * Refreshes docs/dashboard.png: the bundled demo (ui-procs.yaml, three Node UIs) running,
 * `uiprocs dashboard` serving its page, a screenshot of it in Debian's chromium
 * (playwright-core). Run after `npm run build`: `node scripts/screenshot.mjs [out.png]`.
 *
 * It runs a copy of the demo in a temp folder, so the checkout's own state (.uiprocs) and a
 * demo you have running are not touched; a port of the demo's that is taken here is swapped
 * for a free one. To show the plan panel too, one service is added to the copy's manifest
 * after `up`. At the end it stops what it started: the dashboard by its PID, the services
 * with `uiprocs down`, and removes the folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'docs/dashboard.png'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.error(`screenshot: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM=…)`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist/cli/main.cjs'))) {
  console.error('screenshot: build first (npm run build)');
  process.exit(1);
}

/** Whether a loopback port can be listened on now. */
function isFree(port) {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

function freePort() {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'uiprocs-screenshot-'));
const env = { ...process.env, NO_COLOR: '1', UIPROCS_PLAIN: '1' };
const uiprocs = (...args) =>
  execFileSync(process.execPath, [join(root, 'bin/uiprocs.js'), ...args], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });

let dashboard;
let started = false;
try {
  // The demo, copied: its manifest and its one program.
  mkdirSync(join(dir, 'examples/demo'), { recursive: true });
  copyFileSync(join(root, 'examples/demo/ui.mjs'), join(dir, 'examples/demo/ui.mjs'));
  let manifest = readFileSync(join(root, 'ui-procs.yaml'), 'utf8').replace(
    './schemas/',
    `${join(root, 'schemas')}/`,
  );
  for (const m of manifest.matchAll(/port: (\d+)/g)) {
    const port = Number(m[1]);
    if (!(await isFree(port))) manifest = manifest.replace(`port: ${port}`, `port: ${await freePort()}`);
  }
  writeFileSync(join(dir, 'ui-procs.yaml'), manifest);
  process.stdout.write(uiprocs('up'));
  started = true;

  // A service added after `up`: the page then shows the plan `up` would apply.
  writeFileSync(
    join(dir, 'ui-procs.yaml'),
    `${manifest.trimEnd()}\n  notebook:\n    command: node examples/demo/ui.mjs notebook\n    port: auto\n    group: lab\n`,
  );

  dashboard = spawn(process.execPath, [join(root, 'bin/uiprocs.js'), 'dashboard'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((done, fail) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`no URL from uiprocs dashboard: ${text}`)), 15_000);
    dashboard.stdout.setEncoding('utf8').on('data', (s) => {
      text += s;
      const m = text.match(/dashboard: (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        done(m[1]);
      }
    });
    dashboard.once('exit', (code) => fail(new Error(`uiprocs dashboard exited ${code}`)));
  });
  console.log(`dashboard: ${url}`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 600 }, colorScheme: 'dark' });
    await page.goto(url);
    await page.waitForSelector('body[data-ready]');
    await page.waitForSelector('[data-plan]:not([hidden])', { timeout: 10_000 });
    // Some seconds of samples, so the CPU and memory sparklines have a line to draw; some
    // requests to the UIs meanwhile, so their CPU moves.
    const ports = [...manifest.matchAll(/port: (\d+)/g)].map((m) => Number(m[1]));
    for (let i = 0; i < 24; i++) {
      await Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/`).catch(() => undefined)));
      await new Promise((r) => setTimeout(r, 500));
    }
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    console.log(`screenshot: ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  if (dashboard && dashboard.exitCode === null) dashboard.kill('SIGTERM');
  if (started) {
    try {
      // Everything that runs: the demo's three (the added one never started).
      process.stdout.write(uiprocs('down'));
    } catch (error) {
      console.error(`screenshot: uiprocs down failed: ${error.message}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
