/**
 * `depends_on` in `export kubernetes`: init containers that hold a service back until its
 * dependencies are there, and the ServiceAccount, Role and RoleBinding that let them wait
 * for a Job. Pure.
 */
import type { IRole, IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IContainer, IServiceAccount } from 'kubernetes-models/v1';
import type { Desired, ServiceSpec } from '../core/model.js';
import { isTask } from '../core/model.js';
import { AUTO_CONTAINER_PORT } from './kubernetes-container.js';
import { initName } from './kubernetes-names.js';

/** For init containers that wait for a Service: `nc` and a shell. */
export const BUSYBOX_IMAGE = 'busybox:1.36';
/** The official kubectl image (its entrypoint is kubectl), for init containers that wait for a Job. */
export const WAIT_IMAGE = 'registry.k8s.io/kubectl:v1.31.0';

/** A document of the waiter's: the object, and the comment lines written above it. */
export interface WaiterDoc {
  notes: string[];
  object: IServiceAccount | IRole | IRoleBinding;
}

/**
 * The init containers that hold a service back until its dependencies are there: a
 * Service that answers (busybox `nc -z`; it answers once a pod of it is ready) or a Job
 * that completed (`kubectl wait`, as the project's waiter ServiceAccount). A dependency
 * without a port has nothing to wait for: a note says so.
 */
export function waitContainers(
  desired: Desired,
  s: ServiceSpec,
  names: Map<string, string>,
  notes: string[],
): IContainer[] {
  const out: IContainer[] = [];
  for (const [dep, condition] of Object.entries(s.dependsOn)) {
    const d = desired.services[dep]!;
    const depName = names.get(dep)!;
    if (condition === 'completed') {
      out.push({
        name: initName(depName),
        image: WAIT_IMAGE,
        args: ['wait', '--for=condition=complete', `job/${depName}`, '--timeout=-1s'],
      });
      continue;
    }
    const depPort = d.port === 'auto' ? AUTO_CONTAINER_PORT : d.port;
    if (depPort === null || isTask(desired, dep)) {
      notes.push(
        `depends_on ${dep} (${condition}): ${dep} has no port, so no Service to wait for; Kubernetes starts both at once.`,
      );
      continue;
    }
    out.push({
      name: initName(depName),
      image: BUSYBOX_IMAGE,
      command: [
        '/bin/sh',
        '-c',
        `until nc -z -w 2 ${depName} ${depPort}; do echo waiting for ${depName}:${depPort}; sleep 1; done`,
      ],
    });
  }
  return out;
}

/** The ServiceAccount, Role and RoleBinding that let init containers wait for Jobs. */
export function waiterDocs(
  name: string,
  project: string,
  ns: { namespace?: string },
  namespace?: string,
): WaiterDoc[] {
  const metadata = { name, ...ns, labels: { 'app.kubernetes.io/part-of': project } };
  return [
    {
      notes: [`ServiceAccount ${name}: the init containers that wait for a Job run as it.`],
      object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    },
    {
      notes: [`Role ${name}: get and watch the project's Jobs (kubectl wait), nothing else.`],
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata,
        rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }],
      },
    },
    {
      notes: [`RoleBinding ${name}`],
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        // Without a namespace, RBAC takes the binding's own for the ServiceAccount.
        subjects: [{ kind: 'ServiceAccount', name, ...(namespace === undefined ? {} : { namespace }) }],
      },
    },
  ];
}
