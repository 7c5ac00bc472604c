/**
 * The port between a converge and whoever shows it: the executor emits {@link ExecEvent}s,
 * a {@link Renderer} (ui/progress.ts plain lines, ui/listr-renderer.ts live rows, or none
 * for the supervisor's log) decides how they look. Types only, so the engine and the
 * duties can take a renderer without importing the ui layer above them.
 */
import type { Failure } from './model.js';
import type { Action, Plan } from './plan.js';

/** One step of a converge as it happens; the executor (engine/executor.ts) emits them in order. */
export type ExecEvent =
  | { type: 'begin'; action: Action }
  | { type: 'progress'; action: Action; message: string }
  | { type: 'done'; action: Action; message: string }
  | { type: 'failed'; action: Action; failure: Failure }
  | { type: 'skipped'; action: Action; why: string };

export interface Renderer {
  plan(plan: Plan, warnings: string[]): void;
  event(event: ExecEvent): void;
  waitLock(holder: { pid: number; command: string }): void;
  /** Flush anything live (listr2); plain output has nothing to flush. */
  end(): Promise<void>;
}
