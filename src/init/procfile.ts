/**
 * A Procfile (foreman, overmind, honcho, Heroku): `name: command` per line. A command that
 * uses `$PORT` gets `port: auto`, as those tools hand each process its own port.
 */
import { type Found, serviceName, withPort } from './draft.js';

export function readProcfile(text: string, file = 'Procfile'): Found {
  const found: Found = { drafts: [], problems: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.+)$/.exec(line);
    if (m === null) {
      found.problems.push(`${file}:${i + 1}: no "name: command" on this line; skipped`);
      return;
    }
    const { command, usesPort } = withPort(m[2]!);
    found.drafts.push({
      name: serviceName(m[1]!),
      command,
      ...(usesPort ? { port: 'auto' as const } : {}),
      from: `${file}:${i + 1} (${m[1]})`,
    });
  });
  return found;
}
