/**
 * `uiprocs dashboard --all` in a real browser (#25): Debian's chromium against the built CLI,
 * two real projects in separate temp folders sharing one registry (XDG_STATE_HOME), the
 * dashboard started from a folder of neither. What the user sees (a section per project, a
 * row per service) and does (stop a service of one project, open a project's own page) is
 * what the test does; the effects are checked outside the browser: the PID gone, the port
 * closed, the other project's service of the same name untouched. And a page on another
 * port of 127.0.0.1 can neither read the list nor act.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answers, bin, type E2eProject, e2eProject, isGone, programs } from '../e2e/harness.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = process.env.UIPROCS_CHROMIUM ?? '/usr/bin/chromium';
const serve = join(programs, 'serve.mjs');

let browser: Browser;
let context: BrowserContext | undefined;
const projects: E2eProject[] = [];
const dashboards: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the dashboard's browser tests need Debian's chromium. Not skipped on purpose.`,
    );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

afterEach(async () => {
  await context?.close();
  context = undefined;
  for (const d of dashboards.splice(0)) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
  for (const p of projects.splice(0)) await p.cleanup();
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Two projects, each with `web` and `api` on free ports, running, in one registry. */
async function twoProjects() {
  const home = tempDir('uiprocs-registry-');
  const made = [];
  for (const name of ['ocr', 'blog']) {
    const p = e2eProject(name, { stateHome: home });
    projects.push(p);
    const [web, api] = [await freePort(), await freePort()];
    p.write(
      `services:\n  web: { command: node ${serve} ${web} 127.0.0.1, port: ${web} }\n  api: { command: node ${serve} ${api} 127.0.0.1, port: ${api} }\n`,
    );
    await p.ok(['up']);
    made.push({ p, web, api });
  }
  return { home, ocr: made[0]!, blog: made[1]! };
}

/** `uiprocs dashboard --all --port <free>` from a folder of no project; its printed URL. */
async function startAll(home: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'dashboard', '--all', '--port', String(port)], {
    cwd: tempDir('uiprocs-nowhere-'),
    env: { ...process.env, XDG_STATE_HOME: home, NO_COLOR: '1', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dashboards.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const url = await waitFor(
    () => {
      if (child.exitCode !== null)
        throw new Error(`uiprocs dashboard --all exited ${child.exitCode}:\n${err}`);
      return out.match(/dashboard: (http:\/\/\S+)/)?.[1];
    },
    { timeout: 15_000, what: `the URL line (stderr so far: ${err})` },
  );
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[0-9a-f]{64}$`));
  return url;
}

async function openPage(url: string): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { timeout: 10_000 });
  expect(problems).toEqual([]);
  return page;
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).once('error', reject);
  });
}

describe('dashboard --all in chromium', () => {
  it('a section per project with a row per service; a stop click stops only that project’s service', async () => {
    const { home, ocr, blog } = await twoProjects();
    const url = await startAll(home);
    const page = await openPage(url);

    for (const { p } of [ocr, blog]) {
      const section = page.locator(`section[data-project="${p.project}"]`);
      await expect.poll(() => section.locator('tbody tr').count()).toBe(2);
      expect(await section.locator('[data-counts]').textContent()).toBe('2/2 running');
      expect(await section.locator('tr[data-row="web"]').getAttribute('data-status')).toBe('running');
      expect(await section.locator('tr[data-row="web"] a').getAttribute('href')).toBe(
        `http://127.0.0.1:${p === ocr.p ? ocr.web : blog.web}/`,
      );
    }
    const [ocrWeb, blogWeb] = [ocr.p.record('web')!.pid, blog.p.record('web')!.pid];

    await page.locator('section[data-project="blog"] tr[data-row="web"] button[data-action="stop"]').click();
    await waitFor(() => isGone(blogWeb), { what: "blog's web to be stopped" });
    expect(await answers(blog.web)).toBe(false);
    // The other project's service of the same name, and blog's other service, were not touched.
    expect(isGone(ocrWeb)).toBe(false);
    expect(ocr.p.record('web')!.pid).toBe(ocrWeb);
    expect(await answers(ocr.web)).toBe(true);
    expect(await answers(blog.api)).toBe(true);
    await expect
      .poll(() => page.locator('section[data-project="blog"] tr[data-row="web"]').getAttribute('data-status'))
      .toBe('stopped');
    expect(await page.locator('section[data-project="blog"] [data-counts]').textContent()).toBe(
      '1/2 running',
    );
    expect(await page.locator('section[data-project="ocr"] [data-counts]').textContent()).toBe('2/2 running');

    // The project button: start blog again, through its own converge.
    await page.locator('section[data-project="blog"] fieldset button[data-action="start"]').click();
    await waitFor(() => answers(blog.web), { what: "blog's web to answer again" });
    expect(blog.p.record('web')!.pid).not.toBe(blogWeb);

    // "open" is that project's own full page, its rows and its actions under /p/<id>/.
    await page.locator('section[data-project="ocr"] a[data-open]').click();
    await page.waitForSelector('body[data-ready]');
    expect(new URL(page.url()).pathname).toBe(`/p/${ocr.p.id}/`);
    await expect
      .poll(() => page.locator('tr[data-row="api"] [data-pid]').textContent())
      .toBe(String(ocr.p.record('api')!.pid));
    const ocrApi = ocr.p.record('api')!.pid;
    await page.locator('tr[data-row="api"] button[data-action="stop"]').click();
    await waitFor(() => isGone(ocrApi), { what: "ocr's api to be stopped from its own page" });
    expect(await answers(blog.api)).toBe(true);
  }, 90_000);

  it('a service whose port another project holds says which service of which project holds it', async () => {
    const { home, ocr } = await twoProjects();
    const late = e2eProject('late', { stateHome: home });
    projects.push(late);
    late.write(`services:\n  ui: { command: node ${serve} ${ocr.web} 127.0.0.1, port: ${ocr.web} }\n`);
    const refused = await late.run(['up']);
    expect(refused.code).not.toBe(0);
    const page = await openPage(await startAll(home));
    const note = page.locator('section[data-project="late"] tr[data-row="ui"] .note');
    await expect
      .poll(() => note.textContent())
      .toContain(
        `port ${ocr.web} is held by service web of project ocr (${ocr.p.dir}, pid ${ocr.p.record('web')!.pid})`,
      );
    expect(late.tagged()).toEqual([]);
  }, 60_000);

  it('without the token nothing is read, and a page on another port can neither read the list nor act', async () => {
    const { home, ocr } = await twoProjects();
    const url = await startAll(home);
    const dash = new URL(url);
    expect(await status(`${dash.origin}/api/projects`)).toBe(401);
    expect(await status(`${dash.origin}/p/${ocr.p.id}/api/services`)).toBe(401);
    await openPage(url); // the owner's browser now holds the cookie

    const evilPort = await freePort();
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>another ui</title><p>hello</p>');
    });
    await new Promise<void>((done) => evil.listen(evilPort, '127.0.0.1', done));
    try {
      const other = await context!.newPage();
      await other.goto(`http://127.0.0.1:${evilPort}/`);
      const seen = (await other.evaluate(`(async (base, id) => {
        const out = {};
        try {
          const r = await fetch(base + '/api/projects', { credentials: 'include' });
          out.list = 'read: ' + (await r.text());
        } catch (e) {
          out.list = 'blocked: ' + e.message;
        }
        try {
          const r = await fetch(base + '/p/' + id + '/api/services/web/stop', { method: 'POST', credentials: 'include', mode: 'no-cors' });
          out.post = 'answered (' + r.type + ')';
        } catch (e) {
          out.post = 'failed: ' + e.message;
        }
        return out;
      })(${JSON.stringify(dash.origin)}, ${JSON.stringify(ocr.p.id)})`)) as Record<string, string>;
      expect(seen.list).toMatch(/^blocked/);
      expect(seen.post).toBe('answered (opaque)');
      expect(await answers(ocr.web)).toBe(true);
    } finally {
      await new Promise<void>((done) => evil.close(() => done()));
    }
  }, 60_000);
});
