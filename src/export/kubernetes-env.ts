/**
 * A service's environment in `export kubernetes`: its values in a Secret, the container
 * reading each by `valueFrom.secretKeyRef`, unless `--inline-env`. Pure.
 *
 * Why a Secret: env and env_file values are where passwords and tokens live, and a
 * Deployment's `env` is part of its spec: shown by `kubectl get deployment -o yaml` and
 * `kubectl describe` to anyone who may read Deployments, kept in every ReplicaSet's
 * history, readable by far more roles than Secrets are. A Secret is the object RBAC and
 * encryption at rest are set up for.
 *
 * One Secret per service (`<name>-env`), not one per project: a pod can then read only
 * its own service's values (a Role can name Secrets one by one), one service's change
 * leaves the others' Secrets alone, and two services may give one variable different
 * values. `secretKeyRef` per variable, not `envFrom`: the Deployment still says which
 * variables the process gets, in the manifest's order, and PORT, set after them, wins as
 * with uiprocs. PORT stays inline: it is uiprocs' own value (the service's port, a number
 * anyone can read off the Service), not the manifest's; it is the only one uiprocs adds.
 *
 * Secret values are not expanded by Kubernetes (`$(VAR)` in a Secret is just text), so
 * they are written as the manifest resolved them, only the auto port made the container
 * port; inline values are escaped (kubeText) because `env[].value` is expanded.
 */
import type { IEnvVar, ISecret } from 'kubernetes-models/v1';
import type { ServiceSpec } from '../core/model.js';
import { AUTO_PORT_TOKEN } from '../core/model.js';
import { AUTO_CONTAINER_PORT, kubeText } from './kubernetes-container.js';

/** The Secret's metadata: the service's labels, in the service's namespace. */
interface SecretMetadata {
  namespace?: string;
  labels: Record<string, string>;
}

export interface ServiceEnv {
  /** The container's `env`: references into the Secret (or values, inline), then PORT. */
  env: IEnvVar[];
  /** The Secret that holds the values; null when inline or there is nothing to hold. */
  secret: ISecret | null;
}

/** The Secret of the service whose objects are named `name`. */
export function secretName(name: string): string {
  return `${name}-env`;
}

export function serviceEnv(
  s: ServiceSpec,
  name: string,
  port: number | null,
  metadata: SecretMetadata,
  inline: boolean,
): ServiceEnv {
  const own = Object.entries(s.env).filter(([k]) => port === null || k !== 'PORT');
  const portVar: IEnvVar[] = port === null ? [] : [{ name: 'PORT', value: String(port) }];
  if (inline || own.length === 0)
    return {
      env: [...own.map(([k, v]) => ({ name: k, value: kubeText(v, port) })), ...portVar],
      secret: null,
    };
  const secret: ISecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName(name), ...metadata },
    type: 'Opaque',
    stringData: Object.fromEntries(
      own.map(([k, v]) => [k, v.split(AUTO_PORT_TOKEN).join(String(port ?? AUTO_CONTAINER_PORT))]),
    ),
  };
  const env = own.map(([k]) => ({
    name: k,
    valueFrom: { secretKeyRef: { name: secretName(name), key: k } },
  }));
  return { env: [...env, ...portVar], secret };
}
