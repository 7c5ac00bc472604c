/**
 * Export is a pure function of the resolved manifest: for every case, the exact files of
 * each format are kept in test/fixtures/export/<case>/, with the manifest's folder written
 * as <DIR> so they hold on any machine. UPDATE_GOLDEN=1 rewrites them; read every change.
 * Every document of every golden Kubernetes file validates against the Kubernetes API
 * schemas (kubernetes-models' validators), and against the rules the API server adds
 * that the schemas do not say (names, labels, selectors).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ExportFormat } from '../../src/export/common.js';
import { renderExport } from '../../src/export/index.js';
import { EXPORT_CASES, fixedResolver, loadCase, root } from './export-cases.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const GOLDEN = join(root, 'test/fixtures/export');

/** Several files as one text: a `==> name <==` line before each. */
const joinFiles = (files: { name: string; content: string }[]) =>
  files.map((f) => `==> ${f.name} <==\n${f.content}`).join('\n');

/** The formats each case is rendered in, with the options that shape them. */
const VARIANTS = [
  { variant: 'systemd', format: 'systemd', file: 'systemd.txt' },
  // --user changes only WantedBy= of the project target: one golden case is enough.
  { variant: 'systemd-user', format: 'systemd', file: 'systemd-user.txt', user: true, only: 'bundled' },
  // --project-dir: every path under the project (the venv's streamlit too) moves there.
  {
    variant: 'systemd-relocated',
    format: 'systemd',
    file: 'systemd-relocated.txt',
    projectDir: '/srv/ocr-ui',
    only: 'examples-streamlit',
  },
  { variant: 'compose', format: 'compose', file: 'compose.yaml' },
  { variant: 'make', format: 'make', file: 'uiprocs.mk' },
  { variant: 'kubernetes', format: 'kubernetes', file: 'kubernetes.yaml' },
  // --namespace and --ingress add a field and documents: one golden case is enough.
  {
    variant: 'kubernetes-ingress',
    format: 'kubernetes',
    file: 'kubernetes-ingress.yaml',
    namespace: 'ocr',
    ingress: 'ui.example.org',
    only: 'examples-streamlit',
  },
  // --inline-env: the values in the Deployment's env instead of a Secret.
  {
    variant: 'kubernetes-inline-env',
    format: 'kubernetes',
    file: 'kubernetes-inline-env.yaml',
    inlineEnv: true,
    only: 'env-file',
  },
] as const satisfies {
  variant: string;
  format: ExportFormat;
  file: string;
  user?: boolean;
  projectDir?: string;
  namespace?: string;
  ingress?: string;
  inlineEnv?: boolean;
  only?: string;
}[];

describe('export golden files', () => {
  for (const [name, dir] of Object.entries(EXPORT_CASES)) {
    for (const v of VARIANTS) {
      if ('only' in v && v.only !== name) continue;
      it(`${name} ${v.variant}`, async () => {
        const render = async () => {
          const desired = await loadCase(dir);
          const projectDir = 'projectDir' in v ? v.projectDir : desired.projectDir;
          return renderExport(v.format, desired, {
            user: 'user' in v && v.user,
            projectDir,
            resolve: fixedResolver(projectDir),
            fileDir: dir,
            ...('namespace' in v ? { namespace: v.namespace, ingress: v.ingress } : {}),
            ...('inlineEnv' in v ? { inlineEnv: v.inlineEnv } : {}),
          }).files;
        };
        const files = await render();
        const text = (v.format === 'systemd' ? joinFiles(files) : files[0]!.content).split(dir).join('<DIR>');
        // Same input, same bytes: nothing depends on time, order of the machine or the environment.
        expect(await render()).toEqual(files);
        const path = join(GOLDEN, name, v.file);
        if (UPDATE) {
          mkdirSync(join(GOLDEN, name), { recursive: true });
          writeFileSync(path, text);
        }
        expect(text).toBe(readFileSync(path, 'utf8'));
      });
    }
  }
});

/** The validator of each kind the Kubernetes export writes, by `apiVersion/kind`. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, walked by the shape the checks expect
type Obj = Record<string, any>;

/**
 * The documents of a multi-document YAML text, each as plain data, read as kubectl reads
 * them (YAML 1.1: a bare `yes` is a boolean there); a YAML error throws.
 */
function documents(text: string): Obj[] {
  return parseAllDocuments(text, { version: '1.1' }).map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
    return d.toJS() as Obj;
  });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Service names are DNS-1035 labels: they start with a letter. */
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Secret names are DNS-1123 subdomains: labels joined by dots, at most 253. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * What is wrong with one document: its kind's schema first (kubernetes-models), then what
 * the API server checks beyond the schema. Empty: `kubectl apply` would take it.
 */
function problems(doc: Obj): string[] {
  const id = `${doc.apiVersion}/${doc.kind}`;
  const Model = MODELS[id];
  if (Model === undefined) return [`${id}: not a kind the export writes`];
  try {
    new Model(doc as never).validate();
  } catch (e) {
    return [`${id} ${doc.metadata?.name}: ${(e as Error).message}`];
  }
  const out: string[] = [];
  const name: unknown = doc.metadata?.name;
  const at = `${doc.kind} ${String(name)}`;
  const nameRule = doc.kind === 'Service' ? DNS_1035 : doc.kind === 'Secret' ? DNS_SUBDOMAIN : DNS_LABEL;
  const longest = doc.kind === 'Secret' ? 253 : 63;
  if (typeof name !== 'string' || name.length > longest || !nameRule.test(name)) out.push(`${at}: bad name`);
  if (doc.kind === 'Secret')
    for (const key of Object.keys({ ...doc.stringData, ...doc.data }))
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) out.push(`${at}: bad key ${key}`);
  const labelSets: Obj[] = [doc.metadata?.labels ?? {}];
  const pod: Obj | undefined = doc.spec?.template;
  if (pod !== undefined) labelSets.push(pod.metadata?.labels ?? {});
  for (const labels of labelSets)
    for (const [k, v] of Object.entries(labels)) {
      const [prefix, part] = k.includes('/') ? k.split('/', 2) : [undefined, k];
      if (part === undefined || part.length > 63 || part === '' || !LABEL_VALUE.test(part))
        out.push(`${at}: label key ${k}`);
      if (prefix !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(prefix))
        out.push(`${at}: label prefix ${k}`);
      if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) out.push(`${at}: label ${k}=${v}`);
    }
  if (pod !== undefined) {
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers])
      if (!DNS_LABEL.test(c.name) || c.name.length > 63) out.push(`${at}: container name ${c.name}`);
    const selector: Obj | undefined = doc.spec.selector?.matchLabels;
    if (doc.kind === 'Deployment')
      for (const [k, v] of Object.entries(selector ?? {}))
        if (pod.metadata.labels[k] !== v) out.push(`${at}: the selector does not select its pods (${k})`);
    if (doc.kind === 'Job' && pod.spec.restartPolicy !== 'Never' && pod.spec.restartPolicy !== 'OnFailure')
      out.push(`${at}: a Job's pods need restartPolicy Never or OnFailure`);
  }
  return out;
}

/** Across documents: every Service selects a Deployment's pods, every wait names an object there. */
function crossProblems(docs: Obj[]): string[] {
  const out: string[] = [];
  const pods = docs.filter((d) => d.kind === 'Deployment').map((d) => d.spec.template.metadata.labels as Obj);
  const services = new Map<string, number[]>(
    docs
      .filter((d) => d.kind === 'Service')
      .map((d) => [d.metadata.name, d.spec.ports.map((p: Obj) => p.port)]),
  );
  const jobs = new Set(docs.filter((d) => d.kind === 'Job').map((d) => d.metadata.name as string));
  const secrets = new Map<string, Obj>(
    docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata.name, { ...d.stringData, ...d.data }]),
  );
  const accounts = new Set(
    docs.filter((d) => d.kind === 'ServiceAccount').map((d) => d.metadata.name as string),
  );
  for (const d of docs) {
    if (d.kind === 'Service') {
      const sel = Object.entries(d.spec.selector as Obj);
      if (!pods.some((labels) => sel.every(([k, v]) => labels[k] === v)))
        out.push(`Service ${d.metadata.name} selects no Deployment's pods`);
    }
    if (d.kind === 'Ingress')
      for (const rule of d.spec.rules)
        for (const p of rule.http.paths) {
          const ports = services.get(p.backend.service.name);
          if (ports === undefined || !ports.includes(p.backend.service.port.number))
            out.push(
              `Ingress ${d.metadata.name}: no Service ${p.backend.service.name}:${p.backend.service.port.number}`,
            );
        }
    const spec: Obj | undefined = d.spec?.template?.spec;
    if (spec === undefined) continue;
    for (const c of spec.containers)
      for (const e of c.env ?? []) {
        const ref: Obj | undefined = e.valueFrom?.secretKeyRef;
        if (ref !== undefined && secrets.get(ref.name)?.[ref.key] === undefined)
          out.push(`${d.metadata.name}: env ${e.name} reads ${ref.name}/${ref.key}, which no Secret has`);
      }
    if (spec.serviceAccountName !== undefined && !accounts.has(spec.serviceAccountName))
      out.push(`${d.kind} ${d.metadata.name}: no ServiceAccount ${spec.serviceAccountName}`);
    for (const c of spec.initContainers ?? []) {
      const script: string = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
      const nc = /nc -z -w 2 (\S+) (\d+)/.exec(script);
      const job = /job\/(\S+)/.exec(script);
      if (nc !== null && !services.get(nc[1]!)?.includes(Number(nc[2])))
        out.push(`${d.metadata.name}: waits for ${nc[1]}:${nc[2]}, which no Service has`);
      else if (job !== null && (!jobs.has(job[1]!) || spec.serviceAccountName === undefined))
        out.push(`${d.metadata.name}: waits for job ${job[1]} without the Job or a ServiceAccount`);
      else if (nc === null && job === null)
        out.push(`${d.metadata.name}: init container ${c.name} waits for nothing`);
    }
  }
  return out;
}

describe('export kubernetes: every golden document is a valid Kubernetes object', () => {
  const files = Object.keys(EXPORT_CASES).flatMap((name) =>
    existsSync(join(GOLDEN, name))
      ? readdirSync(join(GOLDEN, name))
          .filter((f) => f.startsWith('kubernetes'))
          .map((f) => join(name, f))
      : [],
  );

  it('covers every case', () => {
    for (const name of Object.keys(EXPORT_CASES)) expect(files).toContain(join(name, 'kubernetes.yaml'));
  });

  for (const file of files) {
    it(file, () => {
      const docs = documents(readFileSync(join(GOLDEN, file), 'utf8'));
      expect(docs.length).toBeGreaterThan(0);
      expect(docs.flatMap(problems)).toEqual([]);
      expect(crossProblems(docs)).toEqual([]);
      // --namespace: every object carries it; without, none does (kubectl's namespace applies).
      const namespaces = new Set(docs.map((d) => d.metadata.namespace));
      expect(namespaces.size).toBe(1);
    });
  }

  it('catches a broken document (the validation is not vacuous)', () => {
    const text = readFileSync(join(GOLDEN, 'task-chain/kubernetes.yaml'), 'utf8');
    const good = documents(text);
    const deployment = good.find((d) => d.kind === 'Deployment')!;
    expect(problems(deployment)).toEqual([]);
    const broken = (edit: (d: Obj) => void) => {
      const d = structuredClone(deployment);
      edit(d);
      return problems(d);
    };
    // The schema: required fields and types.
    expect(broken((d) => delete d.spec.template.spec.containers)).toEqual([
      expect.stringMatching(/must have required property containers/),
    ]);
    expect(broken((d) => (d.spec.replicas = 'one'))).toEqual([
      expect.stringMatching(/replicas must be integer/),
    ]);
    expect(broken((d) => (d.spec.template.spec.containers[0].ports[0].containerPort = '8000'))).toEqual([
      expect.stringMatching(/containerPort must be integer/),
    ]);
    expect(
      broken((d) => (d.spec.template.spec.containers[0].resources = { limits: { memory: 'lots' } })),
    ).toEqual([expect.stringMatching(/memory must match format "quantity"/)]);
    expect(broken((d) => (d.kind = 'Deploymnet'))).toEqual([expect.stringMatching(/not a kind/)]);
    // Beyond the schema: names, labels, selectors.
    expect(broken((d) => (d.metadata.name = 'evaluation_viewer'))).toEqual([
      'Deployment evaluation_viewer: bad name',
    ]);
    expect(broken((d) => (d.spec.template.spec.containers[0].name = 'Web'))).toEqual([
      expect.stringMatching(/container name Web/),
    ]);
    expect(broken((d) => (d.spec.template.metadata.labels['uiprocs.dev/group-a b'] = 'true'))).toEqual([
      expect.stringMatching(/label key/),
    ]);
    expect(broken((d) => (d.spec.selector.matchLabels['app.kubernetes.io/name'] = 'other'))).toEqual([
      expect.stringMatching(/does not select its pods/),
    ]);
    // And across documents: a wait for a Service that is not there.
    const withoutDb = good.filter((d) => !(d.kind === 'Service' && d.metadata.name === 'db'));
    expect(crossProblems(withoutDb)).toEqual(['migrate: waits for db:5432, which no Service has']);
    // A Deployment that reads a Secret the file does not hold, or a key it does not have.
    const env = documents(readFileSync(join(GOLDEN, 'env-file/kubernetes.yaml'), 'utf8'));
    expect(crossProblems(env.filter((d) => d.kind !== 'Secret'))).toEqual(
      ['A', 'B', 'C', 'OVERRIDE', 'D'].map((k) => `web: env ${k} reads web-env/${k}, which no Secret has`),
    );
    const secret = env.find((d) => d.kind === 'Secret')!;
    delete secret.stringData.D;
    expect(crossProblems(env)).toEqual(['web: env D reads web-env/D, which no Secret has']);
    secret.metadata.name = 'Web_Env';
    expect(problems(secret)).toEqual(['Secret Web_Env: bad name']);
    // A document that is not YAML at all.
    expect(() => documents('---\nkind: [Deployment\n')).toThrow();
  });
});
