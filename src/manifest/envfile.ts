/**
 * Reads `KEY=VALUE` files the way docker compose and most dotenv tools do, so one `.env`
 * serves them all: `#` comments, blank lines, an optional `export ` prefix, values in
 * single quotes (literal) or double quotes (with \n, \t, \", \\ escapes), and unquoted
 * values with a trailing ` # comment` removed. Values are not interpolated.
 */

export interface EnvFileProblem {
  line: number;
  message: string;
}

export function parseEnvFile(text: string): { vars: Record<string, string>; problems: EnvFileProblem[] } {
  const vars: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice('export '.length).trimStart();
    const eq = line.indexOf('=');
    const key = (eq === -1 ? line : line.slice(0, eq)).trim();
    // The message says why, never what: an env file holds secrets (and a wrong
    // `env_file: /etc/shadow` holds password hashes), so no part of the line is quoted.
    if (eq === -1) {
      problems.push({ line: i + 1, message: `line ${i + 1} is not KEY=VALUE: it has no "="` });
      continue;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      problems.push({
        line: i + 1,
        message: `line ${i + 1} is not KEY=VALUE: the text before "=" is not a variable name`,
      });
      continue;
    }
    vars[key] = unquote(line.slice(eq + 1).trim());
  }
  return { vars, problems };
}

function unquote(raw: string): string {
  const q = raw[0];
  if ((q === '"' || q === "'") && raw.length >= 2) {
    const end = raw.lastIndexOf(q);
    if (end > 0) {
      const inner = raw.slice(1, end);
      if (q === "'") return inner;
      return inner.replace(/\\([nrt"\\$])/g, (_, c: string) =>
        c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c,
      );
    }
  }
  const hash = raw.search(/\s#/);
  return (hash === -1 ? raw : raw.slice(0, hash)).trim();
}
