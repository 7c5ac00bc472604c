/**
 * What a server exposes once exported (issue #20, item 4): servers that listen on loopback
 * without being told (flask run, jupyter, vite, uvicorn, gunicorn) fail their probes in a
 * container, and an Ingress publishing a tokenless Jupyter or Flask's debugger hands code
 * execution to anyone who reaches it. Before this, only an explicit `--host 127.0.0.1` warned.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/core/model.js';
import { exportCompose } from '../../src/export/compose.js';
import { defaultLoopback, runsCodeForVisitors } from '../../src/export/exposure.js';
import { exportKubernetes } from '../../src/export/kubernetes.js';
import { desiredIn, service } from '../helpers/desired.js';

const DIR = '/home/ann/lab';
const spec = (name: string, command: string | string[], over: Partial<ServiceSpec> = {}) =>
  service(name, { command, port: 8600, ...over }, DIR);

describe('servers that listen on loopback by default', () => {
  it('names the server and the flag to add; a host flag of any value turns it off', () => {
    const cases: Array<[string | string[], string | undefined]> = [
      ['flask run --port 8600', '--host 0.0.0.0'],
      ['python -m flask --app app run', undefined], // `run` is not right after flask: not claimed
      ['python -m flask run', '--host 0.0.0.0'],
      ['flask run --host 0.0.0.0', undefined],
      ['flask run -h 127.0.0.1', undefined], // explicit: loopback.ts says it with the flag
      ['flask routes', undefined],
      ['jupyter lab --port 8600 --no-browser', '--ip 0.0.0.0'],
      ['jupyter lab --ip=0.0.0.0', undefined],
      ['jupyter nbconvert x.ipynb', undefined],
      ['npx vite --port 8600', '--host 0.0.0.0'],
      ['vite --host', undefined],
      ['uvicorn app:app --port 8600', '--host 0.0.0.0'],
      [['/srv/.venv/bin/gunicorn', 'app:app'], '--bind 0.0.0.0:PORT'],
      ['gunicorn -b 0.0.0.0:8600 app:app', undefined],
      ['streamlit run app.py', undefined],
      ['python -m http.server 8600', undefined],
    ];
    for (const [command, fix] of cases) expect(defaultLoopback(command)?.fix, String(command)).toBe(fix);
  });

  it('compose and kubernetes warn for them; systemd-like hosts are not containers', () => {
    const d = desiredIn(DIR, 'lab', [
      spec('api', 'uvicorn app:app --port 8600'),
      spec('ok', 'streamlit run a.py', { port: 8601 }),
    ]);
    expect(exportCompose(d, { fileDir: DIR }).warnings).toEqual([
      'compose: api: uvicorn listens on 127.0.0.1 by default: unreachable from outside the container; add --host 0.0.0.0',
    ]);
    expect(exportKubernetes(d, {}).warnings).toEqual([
      'kubernetes: api: uvicorn listens on 127.0.0.1 by default: unreachable from outside the container; add --host 0.0.0.0',
    ]);
  });
});

describe('servers that run code for whoever reaches them', () => {
  it('a tokenless Jupyter and Flask’s debugger, by flag or by env', () => {
    expect(runsCodeForVisitors("jupyter lab --ip 0.0.0.0 --ServerApp.token=''", {})).toMatch(
      /^Jupyter without a token/,
    );
    expect(runsCodeForVisitors('jupyter lab --ip 0.0.0.0 --NotebookApp.token=', {})).toMatch(/^Jupyter/);
    expect(runsCodeForVisitors('jupyter lab --ip 0.0.0.0', {})).toBeUndefined();
    expect(runsCodeForVisitors('flask --debug run --host 0.0.0.0', {})).toMatch(/^Flask's debugger/);
    expect(runsCodeForVisitors('flask run --host 0.0.0.0', { FLASK_DEBUG: '1' })).toMatch(
      /^Flask's debugger/,
    );
    expect(runsCodeForVisitors('FLASK_DEBUG=true flask run --host 0.0.0.0', {})).toMatch(/^Flask's debugger/);
    expect(runsCodeForVisitors('flask run --host 0.0.0.0', { FLASK_DEBUG: '0' })).toBeUndefined();
  });

  it('export kubernetes --ingress warns for each, naming the URL it publishes', () => {
    const d = desiredIn(DIR, 'lab', [
      spec('nb', "jupyter lab --ip 0.0.0.0 --port 8600 --ServerApp.token=''"),
      spec('web', 'flask --debug run --host 0.0.0.0 --port 8601', { port: 8601 }),
      spec('safe', 'streamlit run a.py', { port: 8602 }),
    ]);
    expect(exportKubernetes(d, { ingress: 'dev.example.com' }).warnings).toEqual([
      'kubernetes --ingress: nb is published at http://nb.dev.example.com/: Jupyter without a token runs code for anyone who reaches it',
      "kubernetes --ingress: web is published at http://web.dev.example.com/: Flask's debugger (--debug) runs code for anyone who reaches it",
    ]);
    // Without an Ingress nothing is published: no such warning.
    expect(exportKubernetes(d, {}).warnings).toEqual([]);
  });
});
