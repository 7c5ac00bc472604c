/**
 * What an agent may read without a tool call: the manifest's text (`uiprocs://manifest`)
 * and each service's recent log (`uiprocs://logs/{service}`, the `logs` tool's answer for
 * that one service). Read fresh on every request, bounded like a tool's answer.
 *
 * The manifest is served as the file says it — the text the agent could open in the repo
 * anyway; values that come from the environment or an env_file are not in it.
 */
import { readFile } from 'node:fs/promises';
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { boundText, DEFAULT_LINES } from './answer.js';
import type { McpProject } from './tools.js';

export const MANIFEST_URI = 'uiprocs://manifest';
export const LOG_TEMPLATE = 'uiprocs://logs/{service}';

export function registerResources(server: McpServer, project: McpProject, manifestPath: string): void {
  server.registerResource(
    'manifest',
    MANIFEST_URI,
    { title: 'The manifest', description: `${manifestPath}, as written`, mimeType: 'application/yaml' },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/yaml',
          text: boundText(await readFile(manifestPath, 'utf8')),
        },
      ],
    }),
  );
  server.registerResource(
    'log',
    new ResourceTemplate(LOG_TEMPLATE, {
      // One entry per service of the manifest as it is now; none while it is broken.
      list: async () => {
        const { loadProject } = await import('../engine/project.js');
        const loaded = await loadProject(project.input, []);
        const names = loaded.ok ? Object.keys(loaded.value.desired.services) : [];
        return {
          resources: names.map((name) => ({
            uri: `uiprocs://logs/${encodeURIComponent(name)}`,
            name: `${name} log`,
            mimeType: 'text/plain',
          })),
        };
      },
    }),
    { title: 'A service log', description: `the last ${DEFAULT_LINES} lines of a service's log, with times` },
    async (uri, variables) => {
      const name = decodeURIComponent(String(variables.service));
      const [{ loadProject }, { formatFailure }, { logsAnswer }] = await Promise.all([
        import('../engine/project.js'),
        import('../ui/failure.js'),
        import('./logs-answer.js'),
      ]);
      const loaded = await loadProject(project.input, [name]);
      if (!loaded.ok)
        throw new Error(formatFailure(loaded.error, { color: false, cwd: project.input.cwd }).trimEnd());
      const text = await logsAnswer(loaded.value.desired, {
        names: loaded.value.targets,
        lines: DEFAULT_LINES,
      });
      return { contents: [{ uri: uri.href, mimeType: 'text/plain', text }] };
    },
  );
}
