/**
 * Drafts → the text of a `ui-procs.yaml`: the schema line editors read, a header saying what
 * it was written from, then each service with a comment naming its source. Values go
 * through `yaml` with config's quoting (manifest/yaml-text.ts: `restart: "no"` for YAML 1.1
 * readers too), so every quote is right; the layout around them is ours.
 */
import { yamlForEveryReader } from '../manifest/yaml-text.js';
import { type Draft, PORT_REF } from './draft.js';

export const SCHEMA_LINE = '# yaml-language-server: $schema=https://uiprocs.dev/schemas/ui-procs.schema.json';

/** Names made unique in order: a second `web` becomes `web-2`. */
export function uniqueNames(drafts: readonly Draft[]): Draft[] {
  const seen = new Set<string>();
  return drafts.map((d) => {
    let name = d.name;
    for (let n = 2; seen.has(name); n++) name = `${d.name}-${n}`;
    seen.add(name);
    return name === d.name ? d : { ...d, name };
  });
}

function fields(d: Draft): Record<string, unknown> {
  return {
    command: d.command,
    ...(d.port !== undefined ? { port: d.port } : {}),
    ...(d.cwd !== undefined ? { cwd: d.cwd } : {}),
    ...(d.env !== undefined ? { env: d.env } : {}),
    ...(d.dependsOn !== undefined ? { depends_on: d.dependsOn } : {}),
    ...(d.ready !== undefined ? { ready: d.ready } : {}),
    ...(d.restart !== undefined ? { restart: d.restart } : {}),
    ...(d.maxRestarts !== undefined ? { max_restarts: d.maxRestarts } : {}),
  };
}

const EXAMPLE: Draft = {
  name: 'web',
  command: `python3 -m http.server ${PORT_REF} --bind 127.0.0.1`,
  port: 'auto',
  from: 'an example: replace it with your app',
};

export function manifestText(
  drafts: readonly Draft[],
  sources: readonly string[],
  notes: readonly string[],
): string {
  const services = drafts.length > 0 ? uniqueNames(drafts) : [EXAMPLE];
  const head =
    drafts.length > 0
      ? `# Written by \`uiprocs init\` from ${sources.join(', ')}. Check it, then: uiprocs up`
      : '# `uiprocs init` found nothing to run here (a Procfile, package.json scripts, a pm2 ecosystem\n' +
        '# file, a compose file with commands, a Streamlit app, notebooks, a Vite or Next config).\n' +
        '# Edit this example, then: uiprocs up';
  const body = services.map((d) => {
    const comments = [`from ${d.from}`, ...(d.notes ?? [])].map((c) => `  # ${c}\n`).join('');
    const yaml = yamlForEveryReader({ [d.name]: fields(d) }, { lineWidth: 0 })
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}\n`)
      .join('');
    return comments + yaml;
  });
  const noteLines = notes.map((n) => `# ${n}\n`).join('');
  return `${SCHEMA_LINE}\n${head}\n${noteLines}version: 1\nservices:\n${body.join('')}`;
}
