/**
 * `ui-procs.override.yaml` beside the manifest, end to end with the built CLI: compose's
 * merge rules (maps by key, lists and scalars replaced, `null` removes), errors located in
 * the file they are in, the cache noticing the override come and go, `up` and the exports
 * using the merged manifest, and a running `watch` reconciling an edit of the override.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { answers, e2eProject, programs, trackProjects } from './harness.js';

const serve = join(programs, 'serve.mjs');
const track = trackProjects();

const BASE = `services:\n  web:\n    command: [node, ${serve}]\n    port: auto\n    env: { A: "1", B: "2" }\n    healthcheck: { http: /, interval: 5s }\n    group: ui\n`;

function configJson(stdout: string) {
  return JSON.parse(stdout) as { services: Record<string, Record<string, unknown>> };
}

describe('override files', () => {
  it('merges maps by key, replaces lists and scalars, removes with null; config --sources names the file', async () => {
    const p = track(e2eProject());
    p.write(BASE);
    writeFileSync(
      join(p.dir, 'ui-procs.override.yaml'),
      `services:\n  web:\n    env: { B: "3", C: "4" }\n    healthcheck: null\n    group: [dev]\n    port: 0\n`,
    );
    // port: 0 is not a port: the override's own line is named
    const bad = await p.run(['validate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ui-procs\.override\.yaml:6:11: services\.web\.port/m);
    writeFileSync(
      join(p.dir, 'ui-procs.override.yaml'),
      `services:\n  web:\n    env: { B: "3", C: "4" }\n    healthcheck: null\n    group: [dev]\n`,
    );
    const web = configJson((await p.ok(['config', '--json'])).stdout).services.web!;
    expect(web.env).toEqual({ A: '1', B: '3', C: '4' });
    expect(web.healthcheck).toBeUndefined();
    expect(web.groups).toEqual(['dev']);
    const sources = (await p.ok(['config', '--sources'])).stdout;
    expect(sources).toMatch(/^services\.web\.env\.A\s+ui-procs\.yaml:\d+:\d+$/m);
    expect(sources).toMatch(/^services\.web\.env\.B\s+ui-procs\.override\.yaml:3:\d+$/m);
    expect(sources).toMatch(/^services\.web\.group\s+ui-procs\.override\.yaml:5:\d+$/m);
    expect(sources).not.toContain('healthcheck');
  });

  it('a YAML mistake in the override is located there; nothing starts', async () => {
    const p = track(e2eProject());
    p.write(BASE);
    writeFileSync(join(p.dir, 'ui-procs.override.yaml'), 'services:\n  web:\n    env: { B: "3"\n');
    const r = await p.run(['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ui-procs\.override\.yaml:\d+:\d+: /m);
    expect(p.record('web')).toBeUndefined();
  });

  it('up runs the merged manifest, and the cache notices the override created and removed', async () => {
    const p = track(e2eProject());
    p.write(BASE);
    const before = configJson((await p.ok(['config', '--json'])).stdout).services.web!;
    expect(before.env).toEqual({ A: '1', B: '2' });
    writeFileSync(
      join(p.dir, 'ui-procs.override.yaml'),
      'services:\n  web:\n    env: { B: "from-override" }\n',
    );
    await p.ok(['up']);
    const record = p.record('web')!;
    expect(await answers(record.port!)).toBe(true);
    const environ = readFileSync(`/proc/${record.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('B=from-override');
    rmSync(join(p.dir, 'ui-procs.override.yaml'));
    const plan = await p.ok(['up', '--dry-run']);
    expect(plan.stdout).toMatch(/recreate\s+web\s+config changed: env\.B/);
    const compose = (await p.ok(['export', 'compose'])).stdout;
    expect(compose).not.toContain('from-override');
    writeFileSync(join(p.dir, 'ui-procs.override.yaml'), 'services:\n  web:\n    env: { B: "exported" }\n');
    expect((await p.ok(['export', 'compose'])).stdout).toContain('exported');
  });

  it('a running watch reconciles an edit of the override (created, then changed)', async () => {
    const p = track(e2eProject());
    p.write(BASE);
    const watch = p.start(['watch'], { UIPROCS_WATCH_INTERVAL_MS: '200' });
    let err = '';
    watch.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    await waitFor(() => /web\s+ready in/.test(err), { timeout: 15_000, what: 'web ready under watch' });
    const first = p.record('web')!.pid;
    writeFileSync(join(p.dir, 'ui-procs.override.yaml'), 'services:\n  web:\n    env: { B: "9" }\n');
    await waitFor(() => (p.record('web')?.pid ?? first) !== first, {
      timeout: 15_000,
      what: 'web recreated',
    });
    expect(err).toContain('ui-procs.override.yaml changed; reconciling');
    const second = p.record('web')!.pid;
    writeFileSync(join(p.dir, 'ui-procs.override.yaml'), 'services:\n  web:\n    env: { B: "10" }\n');
    await waitFor(() => (p.record('web')?.pid ?? second) !== second, {
      timeout: 15_000,
      what: 'web recreated again',
    });
    expect(readFileSync(`/proc/${p.record('web')!.pid}/environ`, 'utf8').split('\0')).toContain('B=10');
  });

  it('-f a -f b -f c merges in order instead of the override beside it; errors and a missing file name their file', async () => {
    const p = track(e2eProject());
    p.write(BASE);
    writeFileSync(join(p.dir, 'ui-procs.override.yaml'), 'services:\n  web:\n    env: { A: "beside" }\n');
    writeFileSync(join(p.dir, 'b.yaml'), 'services:\n  web:\n    env: { B: "b", C: "b" }\n');
    writeFileSync(join(p.dir, 'c.yaml'), 'services:\n  web:\n    env: { C: "c" }\n');
    const files = ['-f', 'ui-procs.yaml', '-f', 'b.yaml', '-f', 'c.yaml'];
    const web = configJson((await p.ok([...files, 'config', '--json'])).stdout).services.web!;
    expect(web.env).toEqual({ A: '1', B: 'b', C: 'c' });
    const sources = (await p.ok([...files, 'config', '--sources'])).stdout;
    expect(sources).toMatch(/^services\.web\.env\.B\s+b\.yaml:3:\d+$/m);
    expect(sources).toMatch(/^services\.web\.env\.C\s+c\.yaml:3:\d+$/m);
    writeFileSync(join(p.dir, 'c.yaml'), 'services:\n  web:\n    port: nope\n');
    const bad = await p.run([...files, 'validate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^c\.yaml:3:11: services\.web\.port/m);
    const missing = await p.run(['-f', 'ui-procs.yaml', '-f', 'nope.yaml', 'validate']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no manifest at nope.yaml');
    // The files go into the state the supervisor and a watch reload from.
    writeFileSync(join(p.dir, 'c.yaml'), 'services:\n  web:\n    env: { C: "c" }\n');
    await p.ok([...files, 'up']);
    const desired = JSON.parse(readFileSync(join(p.stateDir, 'run', '.desired.json'), 'utf8'));
    expect(desired.overrideFiles).toEqual([join(p.dir, 'b.yaml'), join(p.dir, 'c.yaml')]);
    expect(readFileSync(`/proc/${p.record('web')!.pid}/environ`, 'utf8').split('\0')).toContain('C=c');
  });

  it('a watch given -f files reconciles an edit of the last one', async () => {
    const p = track(e2eProject());
    p.write(BASE);
    writeFileSync(join(p.dir, 'dev.yaml'), 'services:\n  web:\n    env: { B: "1" }\n');
    const watch = p.start(['-f', 'ui-procs.yaml', '-f', 'dev.yaml', 'watch'], {
      UIPROCS_WATCH_INTERVAL_MS: '200',
    });
    let err = '';
    watch.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    await waitFor(() => /web\s+ready in/.test(err), { timeout: 15_000, what: 'web ready under watch' });
    const first = p.record('web')!.pid;
    writeFileSync(join(p.dir, 'dev.yaml'), 'services:\n  web:\n    env: { B: "2" }\n');
    await waitFor(() => (p.record('web')?.pid ?? first) !== first, {
      timeout: 15_000,
      what: 'web recreated',
    });
    expect(readFileSync(`/proc/${p.record('web')!.pid}/environ`, 'utf8').split('\0')).toContain('B=2');
  });
});
