import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTO_PORT_TOKEN } from '../../src/core/model.js';
import { createLinuxSystem } from '../../src/runtime/linux-system.js';
import { spawnService } from '../../src/runtime/spawn.js';
import { argvOf, freePort, isGone, pidsTagged } from '../helpers/procs.js';
import { program, type TempProject, tempProject } from '../helpers/temp-project.js';
import { transpileForNode } from '../helpers/transpile.js';
import { waitFor } from '../helpers/wait.js';

const system = createLinuxSystem();
let project: TempProject;
afterEach(() => project?.cleanup());

async function listening(port: number): Promise<number[]> {
  return waitFor(
    () => {
      const pids = system.portOwners(port).map((o) => o.pid);
      return pids.length > 0 ? pids : undefined;
    },
    { what: `a listener on ${port}` },
  );
}

describe('spawnService', () => {
  it('runs a simple string command as the server itself (exec), detached, tagged, logging', async () => {
    project = tempProject();
    const port = await freePort();
    const spec = project.spec('web', `node ${program('serve.mjs')} ${AUTO_PORT_TOKEN}`, {
      port: 'auto',
      env: { GREETING: 'hi', ECHO_PORT: `p=${AUTO_PORT_TOKEN}` },
    });
    const result = await spawnService(
      { spec, port, projectId: project.projectId, project: 'demo', baseEnv: process.env },
      { system },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const s = result.value;
    project.track(s.pid);
    expect(s).toMatchObject({ pgid: s.pid, sid: s.pid, port, bootId: system.bootId(), logOffset: 0 });
    expect(s.startTime).toBe(system.proc(s.pid)!.startTime);
    expect(await listening(port)).toEqual([s.pid]);
    // dash would leave itself as the parent; with `exec` the recorded PID runs node.
    expect(argvOf(s.pid)).toEqual(['node', program('serve.mjs'), String(port)]);
    const env = system.environ(s.pid)!;
    expect(env).toMatchObject({
      PORT: String(port),
      UIPROCS_PROJECT: project.projectId,
      UIPROCS_SERVICE: 'web',
      GREETING: 'hi',
      ECHO_PORT: `p=${port}`,
    });
    await waitFor(() => readFileSync(spec.log.path, 'utf8').includes(`listening on ${port}`));
  });

  it('keeps sh for a compound command, and appends stdout and stderr to the log', async () => {
    project = tempProject();
    const spec = project.spec('both', 'echo out-line; echo err-line 1>&2; exec sleep 30');
    writeFileSync(join(project.dir, 'existing.log'), '');
    spec.log.path = join(project.dir, 'logs', 'both.log');
    const first = await spawnService(
      { spec, port: null, projectId: project.projectId, project: 'demo', baseEnv: process.env },
      { system },
    );
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    project.track(first.value.pid);
    await waitFor(() => readFileSync(spec.log.path, 'utf8').includes('err-line'));
    expect(readFileSync(spec.log.path, 'utf8')).toBe('out-line\nerr-line\n');
    expect(system.proc(first.value.pid)!.pgid).toBe(first.value.pid);
    // A second run appends, and reports where its own output starts.
    process.kill(-first.value.pid, 'SIGKILL');
    const second = await spawnService(
      { spec, port: null, projectId: project.projectId, project: 'demo', baseEnv: process.env },
      { system },
    );
    expect(second.ok && second.value.logOffset).toBe('out-line\nerr-line\n'.length);
    if (second.ok) project.track(second.value.pid);
    await waitFor(() => readFileSync(spec.log.path, 'utf8').split('err-line').length === 3);
  });

  it('runs an array command without a shell', async () => {
    project = tempProject();
    const port = await freePort();
    const spec = project.spec('arr', [program('serve.mjs'), String(port)], { port });
    const result = await spawnService(
      { spec, port, projectId: project.projectId, project: 'demo', baseEnv: process.env },
      { system },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    project.track(result.value.pid);
    expect(await listening(port)).toEqual([result.value.pid]);
    expect(argvOf(result.value.pid)[1]).toBe(program('serve.mjs'));
    expect(result.value.argv).toEqual([program('serve.mjs'), String(port)]);
  });

  it('fails before spawning when the executable or cwd is missing', async () => {
    project = tempProject();
    const input = (command: string | string[], cwd = project.dir) => ({
      spec: project.spec('bad', command, { cwd }),
      port: null,
      projectId: project.projectId,
      project: 'demo',
      baseEnv: process.env,
    });
    for (const command of [
      'no-such-program-xyz --flag',
      ['no-such-program-xyz'],
      ['./missing.sh'],
      './missing.sh arg',
    ]) {
      const result = await spawnService(input(command), { system });
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.error).toMatchObject({
          reason: 'service-failed',
          message: expect.stringMatching(/executable not found/),
        });
    }
    const noCwd = await spawnService(input(['sleep', '1'], join(project.dir, 'nope')), { system });
    expect(noCwd.ok ? undefined : noCwd.error).toMatchObject({
      message: expect.stringMatching(/working directory .* does not exist/),
    });
    expect(pidsTagged(project.projectId)).toEqual([]);
    // A shell builtin is not "missing": it runs under sh without exec.
    const builtin = await spawnService(input('exit 3'), { system });
    expect(builtin.ok).toBe(true);
  });

  it('outlives the parent that spawned it (the CLI exits at once)', async () => {
    project = tempProject();
    const port = await freePort();
    const built = transpileForNode(['src/core', 'src/runtime']);
    const script = join(built.dir, 'cli.mjs');
    const spawnModule = join(built.dir, 'src/runtime/spawn.js');
    writeFileSync(
      script,
      `import { spawnService } from ${JSON.stringify(spawnModule)};
const spec = ${JSON.stringify(project.spec('bg', `node ${program('serve.mjs')} ${port}`, { port }))};
const r = await spawnService({ spec, port: ${port}, projectId: ${JSON.stringify(project.projectId)}, project: 'demo', baseEnv: process.env });
console.log(JSON.stringify(r.ok ? r.value.pid : r.error));
`,
    );
    const started = performance.now();
    // The parent must exit on its own (no timeout kill): nothing of the child keeps it alive.
    const cli = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 10_000 });
    const elapsed = performance.now() - started;
    built.cleanup();
    expect(cli.status, cli.stderr).toBe(0);
    const pid = project.track(Number(JSON.parse(cli.stdout.trim())));
    expect(elapsed).toBeLessThan(5000);
    expect(await listening(port)).toEqual([pid]);
    expect(isGone(pid)).toBe(false);
  });
});
