/**
 * A compose file's services that have a `command`: the command, its port (the container
 * side of `ports`, which is where the command itself listens), `environment` and
 * `depends_on` among the services taken. An image is never run — uiprocs runs commands —
 * so a service with only an image becomes a comment saying so.
 */
import { parseDocument } from 'yaml';
import { type Draft, type Found, serviceName } from './draft.js';

type Map = Record<string, unknown>;
const isMap = (x: unknown): x is Map => typeof x === 'object' && x !== null && !Array.isArray(x);

/** `8080:80`, `"127.0.0.1:8080:80/tcp"`, `80`, `{ target: 80 }` → 80. */
function targetPort(ports: unknown): number | undefined {
  const first = Array.isArray(ports) ? ports[0] : undefined;
  if (isMap(first) && typeof first.target === 'number') return first.target;
  if (typeof first !== 'string' && typeof first !== 'number') return undefined;
  const last = String(first).split('/')[0]!.split(':').at(-1)!;
  const n = Number(last.split('-')[0]);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

function environment(env: unknown): Record<string, string> | undefined {
  if (isMap(env))
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
  if (Array.isArray(env))
    return Object.fromEntries(
      env
        .map(String)
        .map((kv) =>
          kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, ''],
        ),
    );
  return undefined;
}

export function readCompose(text: string, file: string): Found {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return {
      drafts: [],
      problems: [`${file}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split('\n')[0]}; skipped`],
    };
  }
  const services = (doc.toJS() as Map | null)?.services;
  if (!isMap(services)) return { drafts: [], problems: [`${file}:1: no services; skipped`] };
  const taken = Object.entries(services).filter(([, s]) => isMap(s) && s.command !== undefined);
  const names = new Set(taken.map(([n]) => n));
  const found: Found = { drafts: [], problems: [], notes: [] };
  for (const [name, s] of Object.entries(services)) {
    if (!isMap(s)) continue;
    if (s.command === undefined) {
      if (typeof s.image === 'string')
        found.notes!.push(
          `${file}: ${name} runs the image ${s.image}; uiprocs runs commands, not images, so it is not here`,
        );
      continue;
    }
    const command = Array.isArray(s.command) ? s.command.map(String) : String(s.command);
    const port = targetPort(s.ports);
    const env = environment(s.environment);
    const deps = (
      Array.isArray(s.depends_on)
        ? s.depends_on.map(String)
        : isMap(s.depends_on)
          ? Object.keys(s.depends_on)
          : []
    )
      .filter((d) => names.has(d))
      .map(serviceName);
    const draft: Draft = {
      name: serviceName(name),
      command,
      ...(port !== undefined ? { port } : {}),
      ...(env !== undefined && Object.keys(env).length > 0 ? { env } : {}),
      ...(deps.length > 0 ? { dependsOn: deps } : {}),
      from: `${file} services.${name}`,
      ...(typeof s.image === 'string'
        ? { notes: [`compose runs it in the image ${s.image}; here it runs on this machine`] }
        : {}),
    };
    found.drafts.push(draft);
  }
  return found;
}
