/**
 * A command's result on stdout, its progress on stderr (issue #20, item 10): `uiprocs up |
 * grep http` must find the URLs, as `docker compose` leaves its result pipeable. The old
 * `up` printed everything to stderr, stdout empty.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { answers, e2eProject, programs, trackProjects } from './harness.js';

const serve = join(programs, 'serve.mjs');
const track = trackProjects();

/** Exactly the `  name  url` lines, nothing else. */
const urlLine = /^ {2}(\S+)\s+(http:\/\/127\.0\.0\.1:\d+\/)$/;
function urls(stdout: string): Array<[string, string]> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = urlLine.exec(l);
      expect(m, `a stdout line that is not a URL line: ${JSON.stringify(l)}`).not.toBeNull();
      return [m![1]!, m![2]!];
    });
}

describe('result on stdout, progress on stderr', () => {
  it('up (piped): stdout lists each service and its URL, stderr the starting/ready lines', async () => {
    const p = track(e2eProject());
    p.write(
      `services:\n  web: { command: 'node ${serve} \${PORT}', port: auto }\n  api: { command: 'node ${serve} \${PORT}', port: auto }\n`,
    );
    const up = await p.ok(['up']);
    const web = `http://127.0.0.1:${p.record('web')!.port}/`;
    const api = `http://127.0.0.1:${p.record('api')!.port}/`;
    expect(urls(up.stdout).sort()).toEqual([
      ['api', api],
      ['web', web],
    ]);
    expect(await answers(p.record('web')!.port!)).toBe(true);
    // The progress: one line per step, and none of it is the URL list.
    expect(up.stderr).toMatch(/web\s+start/);
    expect(up.stderr).toMatch(/✔ web/);
    expect(up.stderr).not.toContain('http://');

    // A no-op up still answers where things are; "up to date" is a note (stderr).
    const again = await p.ok(['up']);
    expect(urls(again.stdout).sort()).toEqual([
      ['api', api],
      ['web', web],
    ]);
    expect(again.stderr).toContain('everything is up to date');
  });

  it('restart: stdout lists what runs now and its URL; the new process answers', async () => {
    const p = track(e2eProject());
    p.write(`services:\n  web: { command: 'node ${serve} \${PORT}', port: auto }\n`);
    await p.ok(['up']);
    const before = p.record('web')!.pid;
    const r = await p.ok(['restart', 'web']);
    const after = p.record('web')!;
    expect(after.pid).not.toBe(before);
    expect(urls(r.stdout)).toEqual([['web', `http://127.0.0.1:${after.port}/`]]);
    expect(r.stderr).not.toContain('http://');
    expect(await answers(after.port!)).toBe(true);
  });

  it("watch: its first converge's result reaches stdout while watch keeps running", async () => {
    const p = track(e2eProject());
    p.write(`services:\n  web: { command: 'node ${serve} \${PORT}', port: auto }\n`);
    const child = p.start(['watch']);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    await waitFor(() => out.includes('http://'), {
      timeout: 20_000,
      what: `the URL on stdout (stderr: ${err})`,
    });
    expect(urls(out)).toEqual([['web', `http://127.0.0.1:${p.record('web')!.port}/`]]);
    await waitFor(() => err.includes('watching'), { timeout: 20_000, what: 'watching' });
    expect(err).not.toContain('http://');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
