/**
 * `uiprocs mcp`: a Model Context Protocol server on stdio (the official SDK's McpServer and
 * StdioServerTransport) for one project, fixed when it starts. It serves tools.ts's tools and
 * resources.ts's resources and nothing else; stdout carries only the protocol, and what
 * the server itself has to say goes to stderr, which MCP clients keep as its log.
 *
 * Calls that change state (up, down, restart) run one at a time, in the order they came,
 * so two calls from one agent never wait on each other's lock; reads run at once. A call
 * that throws (a bug) is still an answer with `isError`, and the server goes on: no tool
 * call can end it. It ends when its client closes stdin, once the calls in flight have
 * answered — a converge is never cut off halfway.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { version } from '../core/version.js';
import { type Answer, errorAnswer } from './answer.js';
import { registerResources } from './resources.js';
import { type CallExtra, type McpProject, TOOLS, type ToolSpec } from './tools.js';

/** The most a client may send in one message; the SDK's default is 10 MB. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

interface SdkExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (n: {
    method: 'notifications/progress';
    params: { progressToken: string | number; progress: number; message: string };
  }) => Promise<void>;
}

function instructionsFor(manifest: string | undefined): string {
  if (manifest === undefined)
    return (
      "uiprocs runs the web UIs and dev servers of this user's projects. This server only reads: " +
      "projects lists every project and what runs, ps one project's services (and who holds a port), " +
      "logs a project's recent output. To start or stop services, use the project's own server " +
      '(`uiprocs mcp` in its folder).'
    );
  return instructions(manifest);
}

function instructions(manifest: string): string {
  return (
    `uiprocs keeps the services declared in ${manifest} running (web UIs, dev servers). ` +
    'Start and stop them with up, down and restart instead of a shell, so none is left running ' +
    'or holding a port; ps gives status and URLs, logs their recent output with times, plan ' +
    'what up would do, validate whether the manifest is right. Only declared services can be run.'
  );
}

/** Progress notifications for a client that asked for them (a progress token on the call). */
function callExtra(extra: SdkExtra): CallExtra {
  const token = extra._meta?.progressToken;
  let n = 0;
  return {
    signal: extra.signal,
    progress: (line) => {
      if (token === undefined || line === '') return;
      n += 1;
      extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: n, message: line },
        })
        .catch(() => {});
    },
  };
}

/**
 * Serve until the client closes stdin. `manifestPath`: the project's, with its tools and
 * resources; undefined: `--all`, every project read-only (all-tools.ts), no resources.
 */
export async function serveMcp(
  project: McpProject,
  manifestPath: string | undefined,
  tools: readonly ToolSpec[] = TOOLS,
): Promise<void> {
  const server = new McpServer(
    { name: 'uiprocs', version: version() },
    {
      instructions: instructionsFor(manifestPath),
      capabilities: manifestPath === undefined ? { tools: {} } : { tools: {}, resources: {} },
    },
  );
  let changes: Promise<unknown> = Promise.resolve();
  const inFlight = new Set<Promise<Answer>>();
  for (const tool of tools) {
    const call = async (args: Record<string, unknown>, extra: SdkExtra): Promise<Answer> => {
      try {
        return await tool.run(project, args, callExtra(extra));
      } catch (error) {
        process.stderr.write(
          `uiprocs mcp: ${tool.name} failed: ${(error as Error)?.stack ?? String(error)}\n`,
        );
        return errorAnswer(
          `uiprocs: internal error in ${tool.name} (a bug; please report it): ${String(error)}`,
        );
      }
    };
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        annotations: tool.annotations,
      },
      (args: Record<string, unknown>, extra: SdkExtra) => {
        const answer = tool.changes ? changes.then(() => call(args, extra)) : call(args, extra);
        if (tool.changes) changes = answer;
        inFlight.add(answer);
        void answer.finally(() => inFlight.delete(answer));
        return answer;
      },
    );
  }
  if (manifestPath !== undefined) registerResources(server, project, manifestPath);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  // The SDK's transport reads stdin but does not notice its end: a client that goes away closes it.
  process.stdin.once('end', () => void server.close());
  await server.connect(
    new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES }),
  );
  await closed;
  await Promise.allSettled([...inFlight]);
}
