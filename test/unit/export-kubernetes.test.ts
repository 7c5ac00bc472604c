/**
 * The Kubernetes export's mapping on in-memory manifests: what the golden files show for
 * the corpus, asserted field by field where a wrong value would still be a valid object
 * (an escaped `$`, a name clash, a quantity, a probe's port, a disabled service).
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ServiceSpec } from '../../src/core/model.js';
import { AUTO_PORT_TOKEN } from '../../src/core/model.js';
import { exportKubernetes } from '../../src/export/kubernetes.js';
import {
  AUTO_CONTAINER_PORT,
  cpuQuantity,
  kubeText,
  memoryQuantity,
} from '../../src/export/kubernetes-container.js';
import { kubeNames } from '../../src/export/kubernetes-names.js';
import { desiredIn, service } from '../helpers/desired.js';

const DIR = '/home/ann/ocr-ui';
const spec = (name: string, over: Partial<ServiceSpec> = {}) => service(name, over, DIR);

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read by the shape the export writes
type Obj = Record<string, any>;
function objects(services: ServiceSpec[], opts = {}): Obj[] {
  const { content } = exportKubernetes(desiredIn(DIR, 'ocr', services), opts);
  return parseAllDocuments(content).map((d) => d.toJS() as Obj);
}
const find = (docs: Obj[], kind: string, name: string) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);
const container = (d: Obj | undefined) => d?.spec.template.spec.containers[0];

describe('export kubernetes: the mapping', () => {
  it('escapes only what Kubernetes would expand: $$ and $(…)', () => {
    expect(kubeText('costs $5', null)).toBe('costs $5');
    expect(kubeText('echo $(date) $$ $HOME', null)).toBe('echo $$(date) $$$ $HOME');
    expect(kubeText(`--port ${AUTO_PORT_TOKEN}`, 8000)).toBe('--port 8000');
    const web = spec('web', { command: 'echo $(hostname) pid $$', env: { A: '$(B)' } });
    const c = container(objects([web], { inlineEnv: true })[0]);
    expect(c.args).toEqual(['echo $$(hostname) pid $$$']);
    expect(c.env).toEqual([{ name: 'A', value: '$$(B)' }]);
    // A Secret's value is not expanded: it is written as the manifest has it.
    expect(find(objects([web]), 'Secret', 'web-env')!.stringData).toEqual({ A: '$(B)' });
  });

  it('strings stay strings for a YAML 1.1 reader such as kubectl', () => {
    const values = ['yes', 'no', 'on', 'off', 'y', 'N', '1:20', '0755', '1_000', 'true', '~', '2001-12-14'];
    const env = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const inline = exportKubernetes(desiredIn(DIR, 'ocr', [spec('web', { env })]), { inlineEnv: true });
    for (const v of values) expect(inline.content).toContain(`value: "${v}"`);
    const [doc] = parseAllDocuments(inline.content, { version: '1.1' }).map((d) => d.toJS() as Obj);
    expect(container(doc).env.map((e: Obj) => e.value)).toEqual(values);
    const { content } = exportKubernetes(desiredIn(DIR, 'ocr', [spec('web', { env })]), {});
    const [secret] = parseAllDocuments(content, { version: '1.1' }).map((d) => d.toJS() as Obj);
    expect(Object.values(secret!.stringData)).toEqual(values);
  });

  it('env values go to a Secret per service, read by secretKeyRef; PORT stays inline; inlineEnv inlines them', () => {
    const services = [
      spec('api', { port: 8600, env: { DB_PASSWORD: 'hunter2', PORT: '1' } }),
      spec('ui', { port: 'auto', env: { API: `http://api:8600/?p=${AUTO_PORT_TOKEN}` } }),
      spec('worker'),
    ];
    const docs = objects(services);
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual([
      'Secret api-env',
      'Deployment api',
      'Service api',
      'Secret ui-env',
      'Deployment ui',
      'Service ui',
      'Deployment worker',
    ]);
    const secret = find(docs, 'Secret', 'api-env')!;
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata.labels['app.kubernetes.io/name']).toBe('api');
    expect(secret.stringData).toEqual({ DB_PASSWORD: 'hunter2' });
    expect(container(find(docs, 'Deployment', 'api')).env).toEqual([
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'api-env', key: 'DB_PASSWORD' } } },
      { name: 'PORT', value: '8600' },
    ]);
    // The value is in the Secret and nowhere else.
    const { content } = exportKubernetes(desiredIn(DIR, 'ocr', services), {});
    expect(content.split('hunter2').length).toBe(2);
    expect(find(docs, 'Secret', 'ui-env')!.stringData).toEqual({
      API: `http://api:8600/?p=${AUTO_CONTAINER_PORT}`,
    });
    expect(find(docs, 'Secret', 'worker-env')).toBeUndefined();
    expect(container(find(docs, 'Deployment', 'worker')).env).toBeUndefined();

    const inline = objects(services, { inlineEnv: true });
    expect(inline.some((d) => d.kind === 'Secret')).toBe(false);
    expect(container(find(inline, 'Deployment', 'api')).env).toEqual([
      { name: 'DB_PASSWORD', value: 'hunter2' },
      { name: 'PORT', value: '8600' },
    ]);
  });

  it("the process gets the manifest's environment and no Service links", () => {
    const docs = objects([spec('postgres', { port: 5432, env: { PORT: '1', MODE: 'x' } }), spec('api')]);
    for (const d of docs.filter((o) => o.kind === 'Deployment'))
      expect(d.spec.template.spec.enableServiceLinks).toBe(false);
    // PORT is uiprocs' own: the manifest's PORT gives way to it, as when uiprocs starts it.
    expect(container(find(docs, 'Deployment', 'postgres')).env).toEqual([
      { name: 'MODE', valueFrom: { secretKeyRef: { name: 'postgres-env', key: 'MODE' } } },
      { name: 'PORT', value: '5432' },
    ]);
    expect(find(docs, 'Secret', 'postgres-env')!.stringData).toEqual({ MODE: 'x' });
  });

  it('names are DNS labels, unique in manifest order, and the manifest name is kept', () => {
    const names = kubeNames([
      'evaluation_viewer',
      'evaluation-viewer',
      'UI.Main',
      '9lives',
      '__',
      'x'.repeat(70),
    ]);
    expect([...names.values()]).toEqual([
      'evaluation-viewer',
      'evaluation-viewer-2',
      'ui-main',
      'lives',
      'service',
      'x'.repeat(63),
    ]);
    const docs = objects([spec('Data_Viewer', { port: 8600 })]);
    const d = find(docs, 'Deployment', 'data-viewer')!;
    expect(d.metadata.annotations).toEqual({ 'uiprocs.dev/service': 'Data_Viewer' });
    expect(find(docs, 'Service', 'data-viewer')).toBeDefined();
  });

  it('memory and cpu are exact quantities', () => {
    expect(memoryQuantity(512 * 1024 ** 2)).toBe('512Mi');
    expect(memoryQuantity(1024 ** 3)).toBe('1Gi');
    expect(memoryQuantity(1536 * 1024)).toBe('1536Ki');
    expect(memoryQuantity(536870913)).toBe('536870913');
    expect(cpuQuantity(2)).toBe('2');
    expect(cpuQuantity(1.5)).toBe('1500m');
    expect(cpuQuantity(0.01)).toBe('10m');
  });

  it('port: auto is a fixed container port with PORT set, in the command and probes too', () => {
    const c = container(
      objects([
        spec('nb', {
          port: 'auto',
          command: ['jupyter', 'lab', '--port', AUTO_PORT_TOKEN],
          ready: {
            check: { kind: 'http', target: `http://127.0.0.1:${AUTO_PORT_TOKEN}/lab` },
            timeout: 1,
            interval: 2500,
          },
        }),
      ])[0],
    );
    expect(c.command).toEqual(['jupyter']);
    expect(c.args).toEqual(['lab', '--port', String(AUTO_CONTAINER_PORT)]);
    expect(c.env).toEqual([{ name: 'PORT', value: String(AUTO_CONTAINER_PORT) }]);
    expect(c.ports).toEqual([{ name: 'main', containerPort: AUTO_CONTAINER_PORT, protocol: 'TCP' }]);
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/lab', port: AUTO_CONTAINER_PORT },
      periodSeconds: 3,
      timeoutSeconds: 5,
      failureThreshold: 3,
    });
  });

  it('an http probe of another host keeps the host and the scheme', () => {
    const c = container(
      objects([
        spec('web', {
          port: 8600,
          ready: {
            check: { kind: 'http', target: 'https://auth.internal/ok?x=1' },
            timeout: 1,
            interval: 100,
          },
        }),
      ])[0],
    );
    expect(c.readinessProbe.httpGet).toEqual({
      host: 'auth.internal',
      path: '/ok?x=1',
      port: 443,
      scheme: 'HTTPS',
    });
  });

  it('disabled: replicas 0 for a service, suspend for a task; a task is a Job its dependent waits for', () => {
    const docs = objects([
      spec('migrate', { disabled: true }),
      spec('web', { port: 8600, disabled: true, dependsOn: { migrate: 'completed' } }),
    ]);
    expect(find(docs, 'Job', 'migrate')!.spec.suspend).toBe(true);
    expect(find(docs, 'Job', 'migrate')!.spec.backoffLimit).toBe(0);
    const web = find(docs, 'Deployment', 'web')!;
    expect(web.spec.replicas).toBe(0);
    expect(web.spec.template.spec.serviceAccountName).toBe('ocr-wait');
    expect(web.spec.template.spec.initContainers[0].args).toEqual([
      'wait',
      '--for=condition=complete',
      'job/migrate',
      '--timeout=-1s',
    ]);
    expect(find(docs, 'Role', 'ocr-wait')!.rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] },
    ]);
  });

  it('--namespace on every object (the RoleBinding subject too), --ingress per service with a port', () => {
    const docs = objects(
      [spec('task'), spec('ui', { port: 8501, dependsOn: { task: 'completed' } }), spec('worker')],
      { namespace: 'team', ingress: 'apps.example.org' },
    );
    expect(docs.every((d) => d.metadata.namespace === 'team')).toBe(true);
    expect(find(docs, 'RoleBinding', 'ocr-wait')!.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'ocr-wait', namespace: 'team' },
    ]);
    const ingresses = docs.filter((d) => d.kind === 'Ingress');
    expect(ingresses.map((i) => i.spec.rules[0].host)).toEqual(['ui.apps.example.org']);
    expect(ingresses[0]!.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('3600');
  });

  it('says what cannot map, and warns about a loopback bind', () => {
    const { content, warnings } = exportKubernetes(
      desiredIn(DIR, 'ocr', [
        spec('web', {
          port: 8600,
          command: 'flask run --host 127.0.0.1',
          stopSignal: 'SIGINT',
          ready: { check: { kind: 'log', pattern: 'ready' }, timeout: 1, interval: 1 },
          limits: { processes: 10, openFiles: 100 },
        }),
      ]),
      {},
    );
    for (const note of [
      '# ready: log has no probe equivalent',
      '# limits.processes 10 cannot map',
      '# limits.open_files 100 cannot map',
      '# restart: no cannot map',
      '# stop_signal SIGINT cannot map',
      '# --host 127.0.0.1 listens on loopback',
    ])
      expect(content).toContain(note);
    expect(warnings).toEqual([
      expect.stringMatching(/^kubernetes: web listens on loopback \(--host 127\.0\.0\.1\)/),
    ]);
  });
});
