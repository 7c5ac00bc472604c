/**
 * The README's Streamlit probe, for real: a Streamlit app whose script raises once a file
 * appears. `/_stcore/health` still answers 200 then (streamlit issue 3638), while
 * `/_stcore/script-health-check` (with `--server.scriptHealthCheckEnabled true`) answers
 * 503, so a healthcheck on it makes watch restart the app.
 *
 * Needs Streamlit, which the project does not install: runs when `streamlit` is on PATH
 * or UIPROCS_TEST_STREAMLIT names it, and is skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';
import { e2eProject, psRows, trackProjects } from './harness.js';

function findStreamlit(): string | undefined {
  if (process.env.UIPROCS_TEST_STREAMLIT) return process.env.UIPROCS_TEST_STREAMLIT;
  try {
    return execFileSync('sh', ['-c', 'command -v streamlit'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const streamlit = findStreamlit();
const track = trackProjects();

const APP = `import os
import streamlit as st
if os.path.exists("broken"):
    raise RuntimeError("the model file is missing")
st.write("hello")
`;

describe.skipIf(streamlit === undefined)('probing a Streamlit app for real', () => {
  it('/_stcore/health says ok while the script fails; script-health-check fails and watch restarts it', async () => {
    const p = track(e2eProject());
    const port = await freePort();
    writeFileSync(join(p.dir, 'app.py'), APP);
    p.write(
      [
        'services:',
        '  app:',
        `    command: ${streamlit} run app.py --server.port \${PORT} --server.address 127.0.0.1 --server.headless true --server.scriptHealthCheckEnabled true --browser.gatherUsageStats false`,
        `    port: ${port}`,
        '    ready: { http: /_stcore/health, timeout: 60s }',
        '    restart: on-failure',
        '    healthcheck: { http: /_stcore/script-health-check, interval: 1s, timeout: 20s, retries: 2 }',
        '',
      ].join('\n'),
    );
    const watch = p.start(['watch'], { UIPROCS_WATCH_INTERVAL_MS: '500' });
    let err = '';
    watch.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    watch.stdout!.resume();
    const health = async () => (await psRows(p, 'app'))[0]!;
    await waitFor(async () => (await health()).health === 'healthy', {
      timeout: 60_000,
      interval: 200,
      what: `the app to be healthy; watch printed:\n${err}`,
    });
    const first = p.record('app')!.pid;

    writeFileSync(join(p.dir, 'broken'), '');
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
    expect(await status('/_stcore/health')).toBe(200);
    expect(await status('/_stcore/script-health-check')).toBe(503);

    await waitFor(() => err.includes('restarted (pid'), {
      timeout: 60_000,
      interval: 200,
      what: `watch to restart the app; it printed:\n${err}`,
    });
    expect(err).toContain(
      'app is unhealthy: GET /_stcore/script-health-check → 503 (2 in a row); restarting it',
    );
    const after = await health();
    expect(after.restarts).toBeGreaterThanOrEqual(1);
    expect(p.record('app')!.pid).not.toBe(first);
  }, 120_000);
});
