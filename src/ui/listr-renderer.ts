/**
 * Live progress for a person at a terminal: one listr2 task per planned action, whose
 * spinner ends in ✔ ready / ✖ failed. The tasks do no work; they mirror the executor's
 * events, so the executor stays free of any rendering concern. Drawn on stderr.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { Context } from '../core/context.js';
import type { Failure } from '../core/model.js';
import type { ExecEvent, Renderer } from '../core/renderer.js';
import { plainRenderer } from './progress.js';

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  setTitle: (title: string) => void;
}

function failureText(f: Failure): string {
  if (f.reason === 'manifest-invalid') return f.diagnostics.map((d) => d.message).join('; ');
  const details = f.reason === 'service-failed' ? (f.details ?? []) : [];
  return [f.message, ...details.map((line) => `  │ ${line}`)].join('\n');
}

export function listrRenderer(ctx: Context): Renderer {
  const plain = plainRenderer(ctx.err, ctx.color);
  const pending = new Map<string, Pending>();
  const early = new Map<string, ExecEvent[]>();
  let running: Promise<unknown> = Promise.resolve();
  let width = 0;

  const apply = (e: ExecEvent, p: Pending): void => {
    const name = e.action.service.padEnd(width);
    if (e.type === 'begin') p.setTitle(`${name}  ${e.action.kind}: ${e.action.cause}`);
    else if (e.type === 'progress') p.setTitle(`${name}  ${e.message}`);
    else if (e.type === 'done') {
      p.setTitle(`${name}  ${e.message}`);
      p.resolve();
    } else if (e.type === 'failed') p.reject(new Error(`${name}  ${failureText(e.failure)}`));
    else p.reject(new Error(`${name}  skipped: ${e.why}`));
  };

  return {
    plan(plan, warnings) {
      plain.plan({ ...plan, actions: [] }, warnings);
      width = Math.max(0, ...plan.actions.map((a) => a.service.length));
      if (plan.actions.length === 0) return;
      const list = new Listr(
        plan.actions.map((action) => ({
          title: `${action.service.padEnd(width)}  ${action.kind}: ${action.cause}`,
          task: (_: unknown, task: { title: string }) =>
            new Promise<void>((resolve, reject) => {
              const p: Pending = { resolve, reject, setTitle: (t) => (task.title = t) };
              pending.set(action.service, p);
              for (const e of early.get(action.service) ?? []) apply(e, p);
            }),
        })),
        {
          concurrent: true,
          exitOnError: false,
          registerSignalListeners: false,
          collectErrors: false,
          rendererOptions: {
            logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }),
          },
        },
      );
      running = list.run().catch(() => undefined);
    },
    event(e) {
      const p = pending.get(e.action.service);
      if (p) apply(e, p);
      else early.set(e.action.service, [...(early.get(e.action.service) ?? []), e]);
    },
    waitLock: plain.waitLock,
    async end() {
      for (const p of pending.values()) p.resolve();
      await running;
    },
  };
}
