/**
 * `uiprocs mcp` driven as a coding agent drives it: the real built CLI over stdio, spoken to
 * by the MCP SDK's own client. Each tool is checked by what it does to real processes (the
 * port really opens and closes, the old PID is really gone), and every refusal by what it
 * left unchanged.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engine/status.js';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import {
  answers,
  bin,
  type E2eProject,
  e2eProject,
  isGone,
  programs,
  psRows,
  trackEveryProject,
  trackProjects,
} from './harness.js';

const serve = join(programs, 'serve.mjs');
const slowServe = join(programs, 'slow-serve.mjs');
const printThenServe = join(programs, 'print-then-serve.mjs');
const track = trackProjects();
const trackAll = trackEveryProject();

interface Agent {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  /** A tool call's text and whether it is a tool error. */
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
}

const agents = new Set<Agent>();
afterEach(async () => {
  for (const a of agents) await a.client.close().catch(() => {});
  agents.clear();
});

async function agent(p: E2eProject, args: string[] = [], env: Record<string, string> = {}): Promise<Agent> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', ...args],
    cwd: p.dir,
    env: {
      ...(process.env as Record<string, string>),
      XDG_CACHE_HOME: join(p.dir, '.cache'),
      CI: 'true',
      ...env,
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const client = new Client({ name: 'uiprocs-test', version: '1.0.0' });
  await client.connect(transport);
  const a: Agent = {
    client,
    transport,
    stderr: () => stderr,
    async call(name, callArgs = {}) {
      const r = await client.callTool({ name, arguments: callArgs });
      const content = r.content as Array<{ type: string; text: string }>;
      return { text: content.map((c) => c.text).join('\n'), isError: r.isError === true };
    },
  };
  agents.add(a);
  return a;
}

function rowsOf(text: string): StatusRow[] {
  // The rows are the answer's JSON array; a warning above it may quote the manifest.
  const start = text.startsWith('[') ? 0 : text.indexOf('\n[') + 1;
  return JSON.parse(text.slice(start, text.lastIndexOf(']') + 1)) as StatusRow[];
}

describe('uiprocs mcp', () => {
  it('offers exactly the seven tools, reads marked read-only, and the manifest and logs as resources', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  web: { command: [node, ${serve}], port: auto }\n`);
    const a = await agent(p);
    const { tools } = await a.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'down',
      'logs',
      'plan',
      'ps',
      'restart',
      'up',
      'validate',
    ]);
    const readOnly = tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name);
    expect(readOnly.sort()).toEqual(['logs', 'plan', 'ps', 'validate']);
    expect(tools.find((t) => t.name === 'logs')?.inputSchema.properties).toHaveProperty('lines');
    const { resources } = await a.client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(['uiprocs://logs/web', 'uiprocs://manifest']);
    const manifest = await a.client.readResource({ uri: 'uiprocs://manifest' });
    expect((manifest.contents[0] as { text: string }).text).toContain(`command: [node, ${serve}]`);
  });

  it('up opens the port, ps and logs show it, restart replaces the process, down closes the port', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  web: { command: [node, ${serve}], port: auto }\n`);
    const a = await agent(p);

    const up = await a.call('up');
    expect(up.isError, up.text).toBe(false);
    expect(up.text).toMatch(/web\s+start: not running/);
    const first = p.record('web')!;
    expect(up.text).toContain(`http://127.0.0.1:${first.port}/`);
    expect(await answers(first.port!)).toBe(true);

    const ps = await a.call('ps');
    expect(ps.isError).toBe(false);
    const row = rowsOf(ps.text).find((r) => r.name === 'web')!;
    expect(row).toMatchObject({ status: 'running', pid: first.pid, port: first.port });

    const logs = await waitFor(
      async () => {
        const r = await a.call('logs', { service: 'web' });
        return r.text.includes(`listening on ${first.port}`) ? r : undefined;
      },
      { timeout: 10_000, what: 'the listening line in the logs tool' },
    );
    expect(logs.text).toMatch(/^web \| ~?\d{4}-\d\d-\d\dT[\d:.]+Z listening on \d+$/m);

    const restart = await a.call('restart', { targets: ['web'] });
    expect(restart.isError, restart.text).toBe(false);
    const second = p.record('web')!;
    expect(second.pid).not.toBe(first.pid);
    await waitFor(() => isGone(first.pid), { timeout: 5_000, what: 'the first process gone' });
    expect(await answers(second.port!)).toBe(true);

    const down = await a.call('down');
    expect(down.isError, down.text).toBe(false);
    expect(down.text).toMatch(/web\s+stopped/);
    expect(isGone(second.pid)).toBe(true);
    expect(await answers(second.port!)).toBe(false);
    expect((await a.call('down')).text).toBe('nothing is running');
  });

  it('an unknown target is a tool error naming it and the known names; nothing starts, and the server goes on', async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  web: { command: [node, ${serve}], port: auto, group: ui }\n  api: { command: [node, ${serve}], port: auto }\n`,
    );
    const a = await agent(p);
    for (const tool of ['up', 'down', 'restart', 'plan']) {
      const r = await a.call(tool, { targets: ['web', 'nope'] });
      expect(r.isError, tool).toBe(true);
      expect(r.text).toContain('no service or group named "nope" (services: web, api; groups: ui)');
    }
    const logs = await a.call('logs', { service: 'wbe' });
    expect(logs.isError).toBe(true);
    expect(logs.text).toContain('did you mean "web"?');
    expect(p.record('web')).toBeUndefined();
    expect(p.tagged()).toEqual([]);
    // Arguments of the wrong shape and a tool that does not exist are errors too, not an exit.
    expect((await a.call('up', { targets: 'web' })).isError).toBe(true);
    expect((await a.call('exec', { command: 'id' })).isError).toBe(true);
    const plan = await a.call('plan', { targets: ['ui'] });
    expect(plan.isError).toBe(false);
    expect(plan.text).toMatch(/^start\s+web\s+not running$/m);
    expect(plan.text).not.toContain('api');
    const ps = await a.call('ps', { targets: ['api'] });
    expect(rowsOf(ps.text).map((r) => r.name)).toEqual(['api']);
  });

  it('a broken manifest: validate and plan give located errors, up refuses, ps and down work from the records', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  web: { command: [node, ${serve}], port: auto }\n`);
    const a = await agent(p);
    expect((await a.call('up')).isError).toBe(false);
    const pid = p.record('web')!.pid;
    p.write(`services:\n  web: { command: [node, ${serve}], port: auto, restart: sometimes }\n`);

    const validate = await a.call('validate');
    expect(validate.isError).toBe(true);
    expect(validate.text).toMatch(/^ui-procs\.yaml:4:\d+: .*restart/m);
    const plan = await a.call('plan');
    expect(plan.isError).toBe(true);
    expect(plan.text).toMatch(/^ui-procs\.yaml:4:\d+:/m);
    const up = await a.call('up');
    expect(up.isError).toBe(true);
    expect(p.record('web')!.pid).toBe(pid);

    const ps = await a.call('ps');
    expect(ps.isError, ps.text).toBe(false);
    expect(ps.text).toContain('working from the run records');
    expect(rowsOf(ps.text).find((r) => r.name === 'web')).toMatchObject({ status: 'running', pid });

    const down = await a.call('down');
    expect(down.isError, down.text).toBe(false);
    expect(down.text).toContain('working from the run records');
    await waitFor(() => isGone(pid), { timeout: 5_000, what: 'web stopped from its record' });
    expect(existsSync(join(p.stateDir, 'run', 'web.json'))).toBe(false);
  });

  it('a call while another `uiprocs up` holds the lock waits for it and says whose lock it was', async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  slow: { command: [node, ${slowServe}, '2500'], port: auto, ready: { timeout: 20s } }\n`,
    );
    const a = await agent(p);
    const cli = p.start(['up']);
    await waitFor(() => existsSync(join(p.stateDir, 'lock')), {
      timeout: 10_000,
      what: 'the CLI holding the lock',
    });
    // With a progress token, the wait is told while it lasts, not only in the answer.
    const progress: string[] = [];
    const answer = await a.client.callTool({ name: 'up', arguments: {} }, undefined, {
      onprogress: (n) => progress.push(n.message ?? ''),
    });
    const up = {
      text: (answer.content as Array<{ text: string }>)[0]!.text,
      isError: answer.isError === true,
    };
    expect(up.isError, up.text).toBe(false);
    expect(up.text).toContain(`waiting for the lock held by pid ${cli.pid} (uiprocs up)`);
    expect(progress).toContain(`· waiting for the lock held by pid ${cli.pid} (uiprocs up) …`);
    expect(up.text).toContain('everything is up to date');
    expect(await answers(p.record('slow')!.port!)).toBe(true);
  });

  it('a lock held past --lock-timeout is a tool error naming its holder; nothing changed', async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  slow: { command: [node, ${slowServe}, '4000'], port: auto, ready: { timeout: 20s } }\n`,
    );
    const a = await agent(p, ['--lock-timeout', '500ms']);
    const cli = p.start(['up']);
    await waitFor(() => existsSync(join(p.stateDir, 'lock')), {
      timeout: 10_000,
      what: 'the CLI holding the lock',
    });
    const down = await a.call('down');
    expect(down.isError).toBe(true);
    expect(down.text).toContain(`gave up after 0.5s waiting for the state lock`);
    expect(down.text).toContain(`held by pid ${cli.pid} (uiprocs up)`);
    await new Promise<void>((resolve) => cli.once('exit', () => resolve()));
    expect(cli.exitCode).toBe(0);
    expect(await answers(p.record('slow')!.port!)).toBe(true);
  });

  it("a cancelled up is the CLI's Ctrl-C: it stops waiting, releases the lock, and the server goes on", async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  slow: { command: [node, ${slowServe}, '5000'], port: auto, ready: { timeout: 20s } }\n`,
    );
    const a = await agent(p);
    const cancel = new AbortController();
    const call = a.client.callTool({ name: 'up', arguments: {} }, undefined, { signal: cancel.signal });
    const started = await waitFor(() => p.record('slow'), { timeout: 10_000, what: 'slow started' });
    cancel.abort();
    await expect(call).rejects.toThrow();
    // The lock is let go at once, not after the 5 s the port takes to open.
    await waitFor(() => !existsSync(join(p.stateDir, 'lock')), { timeout: 2_000, what: 'the lock released' });
    const down = await a.call('down');
    expect(down.isError, down.text).toBe(false);
    expect(isGone(started.pid)).toBe(true);
  });

  it('logs are bounded: 100 lines by default, at most 2000, long lines cut, the answer at most 64 KiB', async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  noisy: { command: [node, ${printThenServe}, '3000', '60', '50000'], port: auto }\n`,
    );
    await p.ok(['up']);
    const a = await agent(p);
    const all = await waitFor(
      async () => {
        const r = await a.call('logs', { lines: 2000 });
        return r.text.includes('long y') ? r : undefined;
      },
      { timeout: 10_000, what: 'the long line in the logs' },
    );
    expect(all.text.length).toBeLessThanOrEqual(64 * 1024);
    expect(all.text).toMatch(/^\(\d+ earlier lines left out: an answer is at most 65536 characters\)$/m);
    expect(all.text).toMatch(/long y+… \(48000 more characters\)$/);
    expect(all.text).not.toContain('y'.repeat(2001));

    const dflt = await a.call('logs', { service: 'noisy' });
    const lines = dflt.text.split('\n').filter((l) => l.startsWith('noisy | '));
    expect(lines).toHaveLength(100);
    expect(lines.at(-2)).toContain('line 003000');
    expect(dflt.text).toContain(
      '(the newest 100 lines; for earlier ones ask for more lines, up to 2000, or a since)',
    );

    const over = await a.call('logs', { lines: 2001 });
    expect(over.isError).toBe(true);
    expect(over.text).toContain('lines');
    const since = await a.call('logs', { since: 'yesterday-ish' });
    expect(since.isError).toBe(true);
    expect(since.text).toContain('since yesterday-ish: expected a duration');
  });

  it("no answer carries an environment value: not the manifest's variables, the env_file's or the caller's", async () => {
    const p = track(e2eProject());
    writeFileSync(join(p.dir, '.env.web'), 'FROM_FILE=file-secret-4711\n');
    p.write(
      `services:\n  web:\n    command: [node, ${serve}]\n    port: auto\n    env_file: .env.web\n    env: { TOKEN: "\${CALLER_SECRET}" }\n`,
    );
    const a = await agent(p, [], { CALLER_SECRET: 'caller-secret-0815' });
    const answers: string[] = [];
    for (const [tool, args] of [
      ['validate', {}],
      ['plan', {}],
      ['up', {}],
      ['ps', {}],
      ['logs', {}],
    ] as const)
      answers.push((await a.call(tool, args)).text);
    writeFileSync(join(p.dir, '.env.web'), 'FROM_FILE=file-secret-4712\n');
    const plan = await a.call('plan');
    expect(plan.text).toMatch(/recreate\s+web/);
    answers.push(plan.text, (await a.call('restart')).text, (await a.call('down')).text);
    for (const text of answers) {
      expect(text).not.toContain('caller-secret-0815');
      expect(text).not.toContain('file-secret-471');
    }
  });

  it('ends when its client closes stdin, leaving the services it started running', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  web: { command: [node, ${serve}], port: auto }\n`);
    const a = await agent(p);
    expect((await a.call('up')).isError).toBe(false);
    // The transport's child, to see how it ended: the SDK's close() ends stdin, and only
    // after 2 s would it send SIGTERM.
    const child = (a.transport as unknown as { _process: import('node:child_process').ChildProcess })
      ._process;
    const ended = new Promise<[number | null, string | null]>((resolve) =>
      child.once('exit', (code, signal) => resolve([code, signal])),
    );
    await a.client.close();
    expect(await ended).toEqual([0, null]);
    expect(isGone(child.pid!)).toBe(true);
    expect(a.stderr()).toBe('');
    const rows = await psRows(p);
    expect(rows.find((r) => r.name === 'web')?.status).toBe('running');
  });
});

describe('uiprocs mcp --all', () => {
  it('every project of the user, read-only: projects, ps and logs of one by name; nothing that changes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'uiprocs-registry-'));
    const nowhere = mkdtempSync(join(tmpdir(), 'uiprocs-nowhere-'));
    try {
      const made: Array<{ p: E2eProject; port: number }> = [];
      for (const name of ['shop', 'docs']) {
        const p = trackAll(e2eProject(name, { stateHome: home }));
        const port = await freePort();
        p.write(
          `services:\n  web: { command: node ${serve} ${port} 127.0.0.1, port: ${port} }\n  idle: { command: node ${serve} 0 }\n`,
        );
        await p.ok(['up', 'web']);
        made.push({ p, port });
      }
      const a = await agent({ dir: nowhere } as E2eProject, ['--all'], { XDG_STATE_HOME: home });
      const { tools } = await a.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['logs', 'projects', 'ps']);
      for (const t of tools) expect(t.annotations?.readOnlyHint).toBe(true);

      const listed = JSON.parse((await a.call('projects')).text) as Array<{
        name: string;
        running: number;
        total: number;
      }>;
      expect(listed.map((r) => [r.name, r.running, r.total])).toEqual([
        ['docs', 1, 2],
        ['shop', 1, 2],
      ]);
      const shop = made[0]!;
      const ps = await a.call('ps', { project: 'shop' });
      expect(ps.isError).toBe(false);
      const web = rowsOf(ps.text).find((r) => r.name === 'web')!;
      expect(web).toMatchObject({ status: 'running', pid: shop.p.record('web')!.pid, port: shop.port });
      // By folder too.
      expect(rowsOf((await a.call('ps', { project: made[1]!.p.dir })).text)[0]!.port).toBe(made[1]!.port);
      const logs = await a.call('logs', { project: 'shop', service: 'web' });
      expect(logs.text).toContain(`listening on ${shop.port}`);

      const unknown = await a.call('ps', { project: 'nope' });
      expect(unknown).toMatchObject({ isError: true });
      expect(unknown.text).toContain('nope: no such project; registered: docs, shop');
      const up = await a.call('up', { targets: ['idle'] });
      expect(up.isError).toBe(true);
      expect(shop.p.record('idle')).toBeUndefined();
      expect(await answers(shop.port)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(nowhere, { recursive: true, force: true });
    }
  });
});
