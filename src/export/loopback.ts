/**
 * Servers told to listen on loopback (`--host 127.0.0.1`, `--bind 127.0.0.1`, …). On this
 * machine that is the safe default; inside a container it means "only from inside this
 * container": compose publishes the port (`8600:8600`), and nothing outside the container
 * reaches it. The compose export finds such flags and says which one to change.
 *
 * A heuristic over the command's words, for the flags of the servers uiprocs is used with
 * (Flask `-h/--host`, uvicorn and Vite `--host`, Jupyter `--ip`, `python -m http.server
 * -b/--bind`, gunicorn `-b/--bind HOST:PORT`, Streamlit `--server.address`); `--flag=value`
 * counts too. Pure.
 */

const FLAGS = new Set(['--host', '-h', '--ip', '--bind', '-b', '--address', '--server.address']);

/** 127.0.0.0/8, localhost and ::1, with an optional `:port` (gunicorn's `-b 127.0.0.1:8000`). */
const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|::1|\[::1\])(?::\d+)?$/i;

/** A loopback bind in a command: the flag as written and its value. */
export interface LoopbackBind {
  flag: string;
  value: string;
}

/** The loopback binds a command asks for (usually none, at most a few). */
export function loopbackBinds(command: string | string[]): LoopbackBind[] {
  const words = typeof command === 'string' ? shellWords(command) : command;
  const out: LoopbackBind[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.indexOf('=');
    if (eq > 0 && word.startsWith('--') && FLAGS.has(word.slice(0, eq))) {
      const value = word.slice(eq + 1);
      if (LOOPBACK.test(value)) out.push({ flag: word.slice(0, eq), value });
    } else if (FLAGS.has(word) && LOOPBACK.test(words[i + 1] ?? '')) {
      out.push({ flag: word, value: words[i + 1]! });
    }
  }
  return out;
}

/** Words of a shell command, roughly: split at blanks, quotes around a word dropped. */
function shellWords(script: string): string[] {
  return script
    .split(/[ \t\n]+/)
    .filter(Boolean)
    .map((w) => w.replace(/^(['"])(.*)\1$/, '$2'));
}
