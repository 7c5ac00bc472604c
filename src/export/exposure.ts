/**
 * What a server exposes once it is moved off this machine, read from its command's words.
 * Two things go wrong quietly on export (issue #20, item 4):
 *
 * - **Loopback by default.** `flask run`, `jupyter lab`, `vite`, `uvicorn` and `gunicorn`
 *   listen on 127.0.0.1 unless told otherwise. Here that is the safe default; in a container
 *   or a pod it means the published port and the probes reach nothing. loopback.ts finds an
 *   explicit `--host 127.0.0.1`; this finds the servers that do it without a flag.
 * - **Code for whoever reaches it.** A Jupyter server with an empty token, or Flask's
 *   debugger (`flask --debug`, `FLASK_DEBUG=1`), runs arbitrary code for any visitor. An
 *   Ingress publishes it to every client of the cluster's ingress.
 *
 * A heuristic over the words (and the service's env), as loopback.ts is. Pure.
 */
import { loopbackBinds } from './loopback.js';

/** A server that listens on loopback unless a flag says otherwise, and that flag. */
export interface DefaultLoopback {
  server: string;
  /** What to add to listen on every interface (`--host 0.0.0.0`). */
  fix: string;
}

interface Server {
  /** The program's name as the command has it (a path's last part, or `python -m NAME`). */
  names: string[];
  /** A word that must follow (flask's `run`, jupyter's `lab`), if any. */
  sub?: RegExp;
  /** The flags that set the address (any value turns the default off). */
  hostFlags: string[];
  fix: string;
}

const SERVERS: Server[] = [
  { names: ['flask'], sub: /^run$/, hostFlags: ['-h', '--host'], fix: '--host 0.0.0.0' },
  {
    names: ['jupyter', 'jupyter-lab', 'jupyter-notebook', 'jupyter-server'],
    sub: /^(lab|notebook|server)$/,
    hostFlags: ['--ip', '--ServerApp.ip', '--NotebookApp.ip'],
    fix: '--ip 0.0.0.0',
  },
  { names: ['vite'], hostFlags: ['--host'], fix: '--host 0.0.0.0' },
  { names: ['uvicorn'], hostFlags: ['--host', '--uds', '--fd'], fix: '--host 0.0.0.0' },
  { names: ['gunicorn'], hostFlags: ['-b', '--bind'], fix: '--bind 0.0.0.0:PORT' },
];

/** The server a command runs by default on loopback, when no flag sets its address. */
export function defaultLoopback(command: string | string[]): DefaultLoopback | undefined {
  const { words } = wordsOf(command);
  for (const server of SERVERS) {
    const at = programIndex(words, server.names);
    if (at < 0) continue;
    const program = words[at]!.split('/').pop()!;
    // `flask run`, `jupyter lab`; not `flask routes` or `jupyter nbconvert`.
    if (server.sub !== undefined && program === server.names[0] && !server.sub.test(words[at + 1] ?? ''))
      continue;
    const rest = words.slice(at + 1);
    const flagged = rest.some((w) => server.hostFlags.some((f) => w === f || w.startsWith(`${f}=`)));
    if (flagged) continue;
    return { server: program, fix: server.fix };
  }
  return undefined;
}

/**
 * Why a service runs code for whoever reaches its port, or undefined: Jupyter with an empty
 * token, Flask's debugger. Said before an Ingress publishes it.
 */
export function runsCodeForVisitors(
  command: string | string[],
  env: Record<string, string>,
): string | undefined {
  const { words, assigned } = wordsOf(command);
  const vars = { ...env, ...assigned };
  if (programIndex(words, ['jupyter', 'jupyter-lab', 'jupyter-notebook', 'jupyter-server']) >= 0) {
    const tokenless = words.some((w) =>
      /^--(?:ServerApp|NotebookApp|IdentityProvider)\.token=(?:''|""|)$/.test(w),
    );
    if (tokenless) return 'Jupyter without a token runs code for anyone who reaches it';
  }
  if (programIndex(words, ['flask']) >= 0) {
    const debug =
      words.some((w) => w === '--debug' || w === '--debugger') ||
      /^(1|true|yes)$/i.test(vars.FLASK_DEBUG ?? '') ||
      vars.FLASK_ENV === 'development';
    if (debug) return "Flask's debugger (--debug) runs code for anyone who reaches it";
  }
  return undefined;
}

/** Loopback warnings for a container export: an explicit loopback flag, or a loopback default. */
export function loopbackWarning(command: string | string[]): string | undefined {
  if (loopbackBinds(command).length > 0) return undefined; // loopback.ts says it, with the flag
  const found = defaultLoopback(command);
  if (found === undefined) return undefined;
  return `${found.server} listens on 127.0.0.1 by default: unreachable from outside the container; add ${found.fix}`;
}

/** Index of the program among the words: a path's last part, or the module after `-m`. */
function programIndex(words: string[], names: string[]): number {
  return words.findIndex((w, i) => {
    const base = w.split('/').pop() ?? w;
    if (!names.includes(base)) return false;
    // First, after `-m`, or after a launcher's word (`npx vite`, `poetry run flask`).
    return i === 0 || words[i - 1] === '-m' || !words[i - 1]!.startsWith('-');
  });
}

function wordsOf(command: string | string[]): { words: string[]; assigned: Record<string, string> } {
  const words =
    typeof command === 'string'
      ? command
          .split(/[ \t\n]+/)
          .filter(Boolean)
          .map((w) => w.replace(/^(['"])(.*)\1$/, '$2'))
      : command;
  // `FLASK_DEBUG=1 flask run`: leading assignments are env, not the program.
  const assigned: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!); i++) {
    const eq = words[i]!.indexOf('=');
    assigned[words[i]!.slice(0, eq)] = words[i]!.slice(eq + 1);
  }
  return { words: words.slice(i), assigned };
}
