/**
 * `uiprocs export kubernetes`: one multi-document YAML that `kubectl apply -f` takes. A
 * pure function of the resolved manifest and the options (namespace, ingress host).
 *
 * How the manifest maps (and where a cluster differs from a laptop):
 * - A long-running service → a Deployment (one replica) and, with a port, a Service
 *   (ClusterIP, the manifest's port). A one-shot task (isTask in core/model.ts) → a Job
 *   (one attempt: backoffLimit 0, restartPolicy Never, as a task runs once).
 * - Names: DNS-1035 labels (`evaluation_viewer` → `evaluation-viewer`, lower case, at
 *   most 63 characters, unique in manifest order); a renamed service keeps its manifest
 *   name in the annotation `uiprocs.dev/service`.
 * - Labels: `app.kubernetes.io/name`, `app.kubernetes.io/part-of: <project>` (the
 *   selector) and `uiprocs.dev/group-<group>: "true"` per group, on every object and pod,
 *   so `kubectl get pods -l uiprocs.dev/group-ui=true` selects a group. Groups are not in
 *   the selector: a Deployment's selector is immutable, a group may change.
 * - image: as the compose export picks it (`image:`, else DEFAULT_IMAGE with a note). The
 *   paths under the project folder are written under CONTAINER_DIR (`/project`) as for
 *   compose; there is no bind mount in a cluster, so the image must hold the project there.
 * - command: a string runs as `/bin/sh -c "exec …"` (command `[/bin/sh, -c]`, the script
 *   as args), an array as command (its program) and args (the rest). Kubernetes expands
 *   `$(VAR)` and reads `$$` as `$` in command, args, env values and exec probes, so those
 *   spellings are escaped (kubeText): the process gets exactly the manifest's text.
 * - env: every resolved variable, then PORT, and nothing else (enableServiceLinks: false);
 *   the values in a Secret `<name>-env` that the container reads by secretKeyRef (PORT
 *   inline), or all inline with `inlineEnv` (kubernetes-env.ts says why);
 *   workingDir: the cwd under /project.
 * - `port: auto` → AUTO_CONTAINER_PORT with PORT set to it: each pod has its own address,
 *   so fixed ports cannot clash.
 * - ready → readinessProbe (httpGet, tcpSocket, exec; the timing of the compose export's
 *   ready healthcheck: period = interval, timeout 5 s, 3 failures). A Service routes only
 *   to ready pods, which is what dependents wait for. log and alive have no probe.
 * - healthcheck → livenessProbe (period, timeout, failureThreshold = retries,
 *   initialDelaySeconds = start_period): the kubelet restarts an unhealthy container.
 * - limits: memory and cpu → resources.limits; processes and open_files have no
 *   per-container setting in Kubernetes: a note says so.
 * - depends_on → init containers that wait: for a service with a port, until its Service
 *   answers (busybox `nc -z`, which holds only once a pod is ready); for a task, until
 *   its Job is complete (`kubectl wait` in WAIT_IMAGE, with a ServiceAccount allowed to
 *   get and watch Jobs, written once per project). A dependency without a port has no
 *   address to wait for: a note says so.
 * - restart: a Deployment always restarts its pod; `restart: no` and max_restarts cannot
 *   map (a note). stop_timeout → terminationGracePeriodSeconds; stop_signal cannot map
 *   (the kubelet sends the image's STOPSIGNAL, SIGTERM by default): a note when it is not SIGTERM.
 * - disabled → replicas: 0 (a Job: suspend: true).
 * - `ingress` → an Ingress per Deployment with a port at `<name>.<host>`, with ingress-nginx's
 *   proxy timeouts raised for websocket UIs (Streamlit, Jupyter).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { IRole, IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IContainer, IEnvVar, IPodSpec, ISecret, IService, IServiceAccount } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import type { Desired, ServiceSpec } from '../core/model.js';
import { isTask } from '../core/model.js';
import { shellScript } from '../core/shell-command.js';
import { headerText } from './common.js';
import { CONTAINER_DIR, DEFAULT_IMAGE } from './compose.js';
import { loopbackWarning, runsCodeForVisitors } from './exposure.js';
import {
  AUTO_CONTAINER_PORT,
  kubeText,
  probeHandler,
  resourceLimits,
  wholeSeconds,
} from './kubernetes-container.js';
import { secretName, serviceEnv } from './kubernetes-env.js';
import { kubeNames, type Labels, labelName, labelValue, selector } from './kubernetes-names.js';
import { WAIT_IMAGE, waitContainers, waiterDocs } from './kubernetes-waits.js';
import { loopbackBinds } from './loopback.js';
import { ATTEMPT_TIMEOUT_S } from './probe.js';
import { relocate } from './relocate.js';

export interface KubernetesOptions {
  /** metadata.namespace of every object; none: the namespace `kubectl apply` uses. */
  namespace?: string;
  /** An Ingress per service with a port at `<name>.<ingress>`. */
  ingress?: string;
  /** The environment's values in the Deployment's `env` itself, not in a Secret (kubernetes-env.ts). */
  inlineEnv?: boolean;
}

interface Metadata {
  name: string;
  namespace?: string;
  labels: Labels;
  annotations?: Labels;
}
type KubeObject = IDeployment | IService | IJob | IIngress | IServiceAccount | IRole | IRoleBinding | ISecret;

/** One document: the object, and the comment lines written above it. */
interface Doc {
  notes: string[];
  object: KubeObject;
}

export function exportKubernetes(
  manifest: Desired,
  opts: KubernetesOptions,
): { content: string; warnings: string[] } {
  const desired = relocate(manifest, CONTAINER_DIR);
  const names = kubeNames(Object.keys(desired.services));
  const project = labelValue(desired.project);
  const ns = opts.namespace === undefined ? {} : { namespace: opts.namespace };
  // Its own kind of object: no clash with a Deployment of the same name.
  const waiter = kubeNames([`${desired.project}-wait`]).get(`${desired.project}-wait`)!;
  const needsWaiter = Object.values(desired.services).some((s) =>
    Object.values(s.dependsOn).includes('completed'),
  );
  const docs: Doc[] = [];
  const warnings: string[] = [];

  if (needsWaiter) docs.push(...waiterDocs(waiter, project, ns, opts.namespace));

  for (const s of Object.values(desired.services)) {
    const name = names.get(s.name)!;
    const notes: string[] = [];
    const labels: Labels = selector(name, project);
    for (const g of s.groups) labels[`uiprocs.dev/group-${labelName(g)}`] = 'true';
    const annotations = name === s.name ? undefined : { 'uiprocs.dev/service': s.name };
    const metadata: Metadata = { name, ...ns, labels, ...(annotations === undefined ? {} : { annotations }) };
    const task = isTask(desired, s.name);
    const port = s.port === 'auto' ? AUTO_CONTAINER_PORT : s.port;
    if (name !== s.name) notes.push(`${s.name}: named ${name} here (Kubernetes names are DNS labels).`);
    if (s.image === undefined)
      notes.push(
        `image: ${DEFAULT_IMAGE} is the default: set image: in the manifest (an image that holds the project at ${CONTAINER_DIR}).`,
      );
    if (s.port === 'auto')
      notes.push(`port: auto: containerPort ${AUTO_CONTAINER_PORT}, and PORT=${AUTO_CONTAINER_PORT}.`);
    for (const b of port === null ? [] : loopbackBinds(s.command)) {
      notes.push(
        `${b.flag} ${b.value} listens on loopback: the Service and the probes cannot reach it; listen on 0.0.0.0.`,
      );
      warnings.push(
        `kubernetes: ${s.name} listens on loopback (${b.flag} ${b.value}): its Service cannot reach it; listen on 0.0.0.0`,
      );
    }
    const byDefault = port === null ? undefined : loopbackWarning(s.command);
    if (byDefault !== undefined) {
      notes.push(`${byDefault}: the Service and the probes cannot reach it.`);
      warnings.push(`kubernetes: ${s.name}: ${byDefault}`);
    }
    if (s.watch !== undefined) {
      notes.push(
        'watch: does not map: a pod runs an image; rebuild and roll it out (Tilt live_update, skaffold dev).',
      );
      warnings.push(`kubernetes: ${s.name}: watch: does not map: a pod runs an image, not your working tree`);
    }
    const opensCode =
      opts.ingress === undefined || port === null ? undefined : runsCodeForVisitors(s.command, s.env);
    if (opensCode !== undefined)
      warnings.push(
        `kubernetes --ingress: ${s.name} is published at http://${name}.${opts.ingress}/: ${opensCode}`,
      );

    const { env, secret } = serviceEnv(s, name, port, { ...ns, labels }, opts.inlineEnv === true);
    if (secret !== null)
      docs.push({
        notes: [
          `Secret ${secretName(name)}: ${s.name}'s environment (env and env_file values); its pods read it by secretKeyRef.`,
        ],
        object: secret,
      });
    const container = mainContainer(s, name, port, env, notes, task);
    const initContainers = waitContainers(desired, s, names, notes);
    const podSpec: IPodSpec = {
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers: [container],
      terminationGracePeriodSeconds: wholeSeconds(s.stopTimeout),
      // Not `<SERVICE>_PORT=tcp://…` for every Service of the namespace: the process gets
      // the manifest's environment, as with uiprocs (POSTGRES_PORT, REDIS_PORT would clash).
      enableServiceLinks: false,
      ...(initContainers.some((c) => c.image === WAIT_IMAGE) ? { serviceAccountName: waiter } : {}),
    };
    if (s.stopSignal !== 'SIGTERM')
      notes.push(
        `stop_signal ${s.stopSignal} cannot map: the kubelet stops the container with the image's STOPSIGNAL (SIGTERM by default).`,
      );
    if (s.ready.check.kind === 'log' && !task)
      notes.push('ready: log has no probe equivalent: the pod is ready once it has started.');
    if (s.disabled) notes.push(`disabled: true in the manifest: ${task ? 'suspend: true' : 'replicas: 0'}.`);

    if (task) {
      const job: IJob = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata,
        spec: {
          ...(s.disabled ? { suspend: true } : {}),
          backoffLimit: 0,
          template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Never' } },
        },
      };
      notes.push('a one-shot task: a Job runs it once; its dependents wait for it to complete.');
      docs.push({ notes: [`Job ${name}`, ...notes], object: job });
      continue;
    }
    if (s.restart === 'no')
      notes.push('restart: no cannot map: a Deployment restarts its pod whenever it exits.');
    else if (s.restart === 'on-failure')
      notes.push('restart: on-failure: a Deployment restarts its pod on any exit.');
    const deployment: IDeployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: s.disabled ? 0 : 1,
        selector: { matchLabels: selector(name, project) },
        template: { metadata: { labels }, spec: podSpec },
      },
    };
    docs.push({ notes: [`Deployment ${name}`, ...notes], object: deployment });
    if (port === null) continue;
    const service: IService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: {
        selector: selector(name, project),
        ports: [{ name: 'main', port, targetPort: port, protocol: 'TCP' }],
      },
    };
    docs.push({ notes: [`Service ${name}`], object: service });
    if (opts.ingress === undefined) continue;
    const ingress = ingressFor(metadata, name, port, opts.ingress);
    docs.push({
      notes: [`Ingress ${name}: http://${name}.${opts.ingress}/ (websocket timeouts for ingress-nginx)`],
      object: ingress,
    });
  }

  const header = [
    `# ${headerText('kubernetes', desired)}`,
    `# Containers run in ${CONTAINER_DIR}: the image must hold the project there (there is no bind mount in a cluster).`,
  ];
  const body = docs.map((d) => `---\n${d.notes.map((n) => `# ${n}\n`).join('')}${yamlText(d.object)}`);
  return { content: `${header.join('\n')}\n${body.join('')}`, warnings };
}

/** The Ingress at `<name>.<host>` for a service's Service, with the websocket timeouts. */
function ingressFor(metadata: Metadata, name: string, port: number, host: string): IIngress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { ...metadata, annotations: { ...metadata.annotations, ...WEBSOCKET_ANNOTATIONS } },
    spec: {
      rules: [
        {
          host: `${name}.${host}`,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: port } } } },
            ],
          },
        },
      ],
    },
  };
}

/**
 * ingress-nginx closes a proxied connection idle for 60 s; a Streamlit or Jupyter page
 * keeps one websocket open for its whole life, so the UI would drop every minute.
 */
export const WEBSOCKET_ANNOTATIONS = {
  'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
  'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
};

function mainContainer(
  s: ServiceSpec,
  name: string,
  port: number | null,
  env: IEnvVar[],
  notes: string[],
  task: boolean,
): IContainer {
  const text = (v: string) => kubeText(v, port);
  const [command, args] =
    typeof s.command === 'string'
      ? [['/bin/sh', '-c'], [shellScript(s.command).script]]
      : [s.command.slice(0, 1), s.command.slice(1)];
  const c: IContainer = {
    name,
    image: s.image ?? DEFAULT_IMAGE,
    command: command.map(text),
    ...(args.length > 0 ? { args: args.map(text) } : {}),
    workingDir: s.cwd,
    ...(env.length > 0 ? { env } : {}),
    ...(port === null ? {} : { ports: [{ name: 'main', containerPort: port, protocol: 'TCP' }] }),
  };
  if (!task) {
    const ready = probeHandler(s.ready.check, port);
    if (ready !== null)
      c.readinessProbe = {
        ...ready,
        periodSeconds: wholeSeconds(s.ready.interval),
        timeoutSeconds: ATTEMPT_TIMEOUT_S,
        failureThreshold: 3,
      };
  }
  if (s.health !== undefined) {
    const live = probeHandler(s.health.check, port);
    if (live === null) notes.push('healthcheck: it has no port to probe: not exported.');
    else
      c.livenessProbe = {
        ...live,
        initialDelaySeconds: Math.ceil(s.health.startPeriod / 1000),
        periodSeconds: wholeSeconds(s.health.interval),
        timeoutSeconds: wholeSeconds(s.health.timeout),
        failureThreshold: s.health.retries,
      };
  }
  const limits = resourceLimits(s.limits, notes);
  if (limits !== null) c.resources = { limits };
  return c;
}

/**
 * One object as block YAML: keys in the order written, no aliases, no folded lines, and
 * strings quoted as YAML 1.1 needs: kubectl reads 1.1, where a bare `yes`, `on` or `1:20`
 * is a boolean or a number, not the string the manifest said.
 */
function yamlText(object: KubeObject): string {
  return stringify(object, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}
