/**
 * A pm2 ecosystem file: `ecosystem.config.json` is read as JSON; `.js`/`.cjs` is a module,
 * so it is loaded only when the folder is trusted (manifest/trust.ts, the rule every found
 * manifest passes), and a module that throws is reported at its own line. Each app becomes
 * a service: script + args (a `.js` script through node, or its interpreter), cwd, env,
 * autorestart (restart: always, or no) and max_restarts.
 */
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { untrusted } from '../manifest/trust.js';
import { type Draft, type Found, serviceName, withPort } from './draft.js';

interface App {
  name?: unknown;
  script?: unknown;
  args?: unknown;
  cwd?: unknown;
  env?: unknown;
  interpreter?: unknown;
  autorestart?: unknown;
  max_restarts?: unknown;
}

function draftOf(app: App, i: number, file: string): Draft | string {
  if (typeof app.script !== 'string' || app.script.trim() === '')
    return `${file}: apps[${i}] has no script; skipped`;
  const args = Array.isArray(app.args)
    ? app.args.map(String).join(' ')
    : typeof app.args === 'string'
      ? app.args
      : '';
  const interpreter =
    typeof app.interpreter === 'string' && app.interpreter !== 'none'
      ? app.interpreter
      : /\.[cm]?js$/.test(app.script)
        ? 'node'
        : '';
  const { command, usesPort } = withPort([interpreter, app.script, args].filter((s) => s !== '').join(' '));
  const env =
    typeof app.env === 'object' && app.env !== null
      ? Object.fromEntries(Object.entries(app.env).map(([k, v]) => [k, String(v)]))
      : undefined;
  const readsPort = usesPort || (env !== undefined && 'PORT' in env);
  if (env !== undefined && 'PORT' in env) delete env.PORT;
  return {
    name: serviceName(typeof app.name === 'string' ? app.name : basename(app.script).replace(/\.[^.]*$/, '')),
    command,
    ...(readsPort ? { port: 'auto' as const } : {}),
    ...(typeof app.cwd === 'string' ? { cwd: app.cwd } : {}),
    ...(env !== undefined && Object.keys(env).length > 0 ? { env } : {}),
    restart: app.autorestart === false ? 'no' : 'always',
    ...(typeof app.max_restarts === 'number' ? { maxRestarts: app.max_restarts } : {}),
    from: `${file} apps[${i}]${typeof app.name === 'string' ? ` (${app.name})` : ''}`,
  };
}

/** The line of `file` in a thrown error's stack, for `ecosystem.config.js:7: threw …`. */
function lineIn(error: unknown, path: string): string {
  const m = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(
    String((error as Error)?.stack),
  );
  return m === null ? '1' : m[1]!;
}

export function readEcosystem(path: string, text: string, env: Record<string, string | undefined>): Found {
  const file = basename(path);
  let config: { apps?: unknown };
  if (file.endsWith('.json')) {
    try {
      config = JSON.parse(text) as typeof config;
    } catch (error) {
      return { drafts: [], problems: [`${file}:1: not JSON (${(error as Error).message}); skipped`] };
    }
  } else {
    const why = untrusted(path, env);
    if (why !== undefined)
      return {
        drafts: [],
        problems: [`${file}:1: not loaded: ${why} (a module runs code; see UIPROCS_TRUST)`],
      };
    try {
      config = createRequire(path)(path) as typeof config;
    } catch (error) {
      return {
        drafts: [],
        problems: [
          `${file}:${lineIn(error, path)}: threw ${(error as Error)?.message ?? String(error)}; skipped`,
        ],
      };
    }
  }
  const apps = Array.isArray(config?.apps) ? (config.apps as App[]) : [];
  const found: Found = { drafts: [], problems: [] };
  apps.forEach((app, i) => {
    const d = draftOf(app ?? {}, i, file);
    if (typeof d === 'string') found.problems.push(d);
    else found.drafts.push(d);
  });
  if (apps.length === 0) found.problems.push(`${file}:1: no apps; skipped`);
  return found;
}
