/**
 * The plain renderer of a converge: one line per step on stderr, readable in CI logs
 * and pipes. The executor only emits events; how they look is decided here.
 */

import { createColors } from '../core/ansi.js';
import type { Failure } from '../core/model.js';
import type { Renderer } from '../core/renderer.js';

export function plainRenderer(err: (s: string) => void, color: boolean): Renderer {
  const c = createColors(color);
  let width = 0;
  const name = (s: string) => c.bold(s.padEnd(width));
  const failureText = (f: Failure): string => {
    if (f.reason === 'manifest-invalid') return f.diagnostics.map((d) => d.message).join('; ');
    const details = f.reason === 'service-failed' ? (f.details ?? []) : [];
    return [f.message, ...details.map((line) => `    ${c.dim('│')} ${line}`)].join('\n');
  };
  return {
    plan(p, warnings) {
      width = Math.max(0, ...p.actions.map((a) => a.service.length));
      for (const w of warnings) err(`${c.yellow('warning:')} ${w}\n`);
      for (const note of p.notes) err(`${c.dim('note:')} ${note}\n`);
    },
    event(e) {
      switch (e.type) {
        case 'begin':
          err(`${c.dim('·')} ${name(e.action.service)}  ${e.action.kind}: ${e.action.cause}\n`);
          return;
        case 'progress':
          err(`${c.dim('·')} ${name(e.action.service)}  ${e.message}\n`);
          return;
        case 'done':
          err(`${c.green('✔')} ${name(e.action.service)}  ${e.message}\n`);
          return;
        case 'failed':
          err(`${c.red('✖')} ${name(e.action.service)}  ${failureText(e.failure)}\n`);
          return;
        case 'skipped':
          err(`${c.yellow('-')} ${name(e.action.service)}  skipped: ${e.why}\n`);
          return;
      }
    },
    waitLock(holder) {
      err(`${c.dim('·')} waiting for the lock held by pid ${holder.pid} (${holder.command}) …\n`);
    },
    async end() {},
  };
}
