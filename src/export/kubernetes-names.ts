/**
 * Kubernetes names and labels for the objects of `export kubernetes`: what the API server
 * accepts (DNS labels, label values) made from the manifest's names, which it may not.
 * Pure.
 */

export type Labels = Record<string, string>;

/** The labels a Deployment selects its pods by, and a Service its endpoints. */
export function selector(name: string, project: string): Labels {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': project };
}

/** An init container's name: `wait-<dependency>`, within the 63 characters of a label. */
export function initName(dep: string): string {
  return trimLabel(`wait-${dep}`);
}

/**
 * Each service's object name: a DNS-1035 label (lower-case letters, digits and `-`,
 * starting with a letter, at most 63), unique: a clash gets `-2`, `-3`… in manifest order.
 */
export function kubeNames(services: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const s of services) {
    let base = s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^[^a-z]+/, '');
    base = trimLabel(base === '' ? 'service' : base);
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${trimLabel(base, 60 - String(i).length)}-${i}`;
    taken.add(name);
    out.set(s, name);
  }
  return out;
}

export function trimLabel(s: string, max = 63): string {
  return s.slice(0, max).replace(/-+$/, '');
}

/** A label value: letters, digits, `-`, `_`, `.`, alphanumeric at both ends, at most 63. */
export function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** The name part of a label key: as a value, and never empty (the group label's suffix). */
export function labelName(s: string): string {
  return labelValue(s).slice(0, 63 - 'group-'.length) || 'group';
}
