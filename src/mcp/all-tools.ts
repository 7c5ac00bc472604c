/**
 * The tools of `uiprocs mcp --all`: every project of the user, read-only (the registry,
 * state/registry.ts, says where; each project's records say what runs). An agent sees what
 * runs on the machine and which project holds a port, and reads any project's logs; to
 * change a project it needs that project's own server (`uiprocs mcp` in its folder), whose
 * manifest fixes what it may run.
 *
 * | tool      | the CLI's                            |
 * |-----------|--------------------------------------|
 * | projects  | `ls --all --json`                    |
 * | ps        | `ps --json --project P [targets]`    |
 * | logs      | `logs -t --project P`                |
 */
import { z } from 'zod';
import { errorAnswer, textAnswer } from './answer.js';
import {
  LOGS_DESCRIPTION,
  LOGS_INPUT,
  logs,
  type McpProject,
  ps,
  READS,
  type ToolSpec,
  targets,
} from './tools.js';

const project = z.string().min(1).max(4096).describe('a project name as `projects` lists it, or its folder');

/** The named project as a McpProject of its own, or the usage error `--project` gives. */
async function resolved(base: McpProject, asked: string): Promise<McpProject | { error: string }> {
  const [{ readRegistry, findProject, projectNotFound }, { resolve }] = await Promise.all([
    import('../state/registry.js'),
    import('node:path'),
  ]);
  const { entries } = readRegistry(base.input.env);
  const found = findProject(entries, asked, resolve(base.input.cwd, asked));
  if (found.length === 1) {
    const e = found[0]!;
    return {
      ...base,
      input: {
        cwd: e.folder,
        env: base.input.env,
        file: e.manifest,
        ...(e.overrides ? { overrides: e.overrides } : {}),
      },
    };
  }
  if (found.length > 1)
    return {
      error: `${asked}: ${found.length} projects have this name (${found.map((e) => e.folder).join(', ')}); name one by its folder`,
    };
  const failed = projectNotFound(asked, entries);
  return {
    error: failed.ok
      ? asked
      : 'message' in failed.error
        ? failed.error.message.replace(/^--project /, '')
        : asked,
  };
}

export const ALL_TOOLS: readonly ToolSpec[] = [
  {
    name: 'projects',
    title: 'Every project',
    description:
      'Every project of this user (uiprocs ls --all --json): name, folder, running/total services, who supervises it, its dashboard URL.',
    input: {},
    annotations: READS,
    changes: false,
    run: async (base) => {
      const [{ listProjects }, { getSystem }] = await Promise.all([
        import('../engine/project-list.js'),
        import('../runtime/system.js'),
      ]);
      const { rows, warnings } = listProjects(base.input.env, getSystem(base.input.env), { all: true });
      const listed = rows.length === 0 ? '[]' : `[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]`;
      return textAnswer([...warnings.map((w) => `warning: ${w}`), listed].join('\n'));
    },
  },
  {
    name: 'ps',
    title: "A project's services",
    description:
      "One project's services as `uiprocs ps --json` shows them (status, url, port, pid, restarts, cpu, memory, " +
      'and who holds a port it needs).',
    input: { project, targets },
    annotations: READS,
    changes: false,
    run: async (base, args) => {
      const p = await resolved(base, args.project as string);
      return 'error' in p ? errorAnswer(p.error) : ps(p, args);
    },
  },
  {
    name: 'logs',
    title: "A project's recent log lines",
    description: LOGS_DESCRIPTION,
    input: { project, ...LOGS_INPUT },
    annotations: READS,
    changes: false,
    run: async (base, args) => {
      const p = await resolved(base, args.project as string);
      return 'error' in p ? errorAnswer(p.error) : logs(p, args);
    },
  },
];
