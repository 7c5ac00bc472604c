/**
 * A Node built-in loaded on first use, synchronously. The CLI is bundled as CommonJS, where
 * `await import('node:net')` stays a real dynamic import and starts Node's ES module
 * loader (≈10 ms) just to hand back a built-in; `process.getBuiltinModule` (Node ≥ 20.16)
 * returns it directly. Used for the built-ins that cost to load (net ≈3.6 ms,
 * child_process ≈4.8 ms) and are needed only on some paths.
 */
interface Lazy {
  'node:net': typeof import('node:net');
  'node:http': typeof import('node:http');
  'node:https': typeof import('node:https');
  'node:child_process': typeof import('node:child_process');
}

export function builtin<ID extends keyof Lazy>(id: ID): Lazy[ID] {
  return process.getBuiltinModule(id) as Lazy[ID];
}
