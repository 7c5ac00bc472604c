/**
 * `uiprocs mcp`'s start, as an agent's client meets it: spawn → the answer to `initialize`
 * (raw JSON-RPC on stdio), against a bare Node that reads the same line and answers it
 * (Node's own start, measured the same way). Then the first `ps` tool call on that server,
 * and the same `ps` as a CLI run, for 3 services of a project that is not running.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, bin, cli, median, ms, now, runs, say, serve } from './lib.mjs';

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
};
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
const psCall = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ps', arguments: {} } };

/** Spawns `args`, sends the initialize line; resolves the ms to each answer (by id), then ends stdin. */
function session(args, dir, messages) {
  return new Promise((resolve, reject) => {
    const t = now();
    const times = [];
    const child = spawn(process.execPath, args, {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...benchEnv, CI: 'true', XDG_CACHE_HOME: join(dir, '.cache') },
    });
    let buffered = '';
    let sent = 0;
    const next = () => {
      for (; sent < messages.length; ) {
        const m = messages[sent++];
        child.stdin.write(`${JSON.stringify(m)}\n`);
        if (m.id !== undefined) return;
      }
      child.stdin.end();
    };
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        buffered = buffered.slice(i + 1);
        times.push(now() - t);
        next();
      }
    });
    child.once('error', reject);
    child.once('exit', () => resolve(times));
    next();
  });
}

const echo = "process.stdin.once('data', (d) => { process.stdout.write(d); process.exit(0); })";

export async function mcpStartup() {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-mcp-'));
  const services = [0, 1, 2].map((i) => `  s${i}: { command: node ${serve}, port: auto }`).join('\n');
  writeFileSync(join(dir, 'ui-procs.yaml'), `version: 1\nproject: bench\nservices:\n${services}\n`);
  cli(dir, ['validate']);
  try {
    const bare = [];
    const init = [];
    const ps = [];
    for (let i = 0; i < runs * 2; i++) {
      bare.push((await session(['-e', echo], dir, [initialize]))[0]);
      const [a, b] = await session([bin, 'mcp'], dir, [initialize, initialized, psCall]);
      init.push(a);
      ps.push(b - a);
    }
    const psCli = median(Array.from({ length: runs * 2 }, () => cli(dir, ['ps'])));
    const base = median(bare);
    say(
      `mcp: initialize answered in ${ms(median(init))} (Node's own start, answering the same line: ${ms(base)}; +${ms(median(init) - base)}, budget +150 ms); first ps call ${ms(median(ps))} (ps as a command: ${ms(psCli)})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
