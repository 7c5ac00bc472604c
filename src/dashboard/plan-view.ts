/**
 * `GET /api/plan`: what `uiprocs up` would do now, made exactly as `up --dry-run` makes it
 * (the same converge, `dryRun`: observe and plan, no lock, nothing created), with its
 * text as `--dry-run` prints it; or, for a manifest that cannot be used, its located
 * errors with the text the CLI prints for them (no colour).
 */

import type { Desired, Failure, Result } from '../core/model.js';
import { formatPlan } from '../core/plan.js';
import { converge } from '../engine/converge.js';
import type { System } from '../runtime/system.js';
import { formatFailure } from '../ui/failure.js';

export interface PlanAction {
  service: string;
  kind: string;
  cause: string;
}

export type PlanView =
  | { ok: true; changed: boolean; actions: PlanAction[]; text: string }
  | {
      ok: false;
      errors: Array<{
        file: string;
        line: number;
        column: number;
        message: string;
        source_line: string | null;
      }>;
      text: string;
    };

export async function planView(
  strict: Result<Desired, Failure>,
  runtime: { system: System; env: Record<string, string | undefined>; cwd: string },
): Promise<PlanView> {
  if (!strict.ok) return failedPlan(strict.error, runtime.cwd);
  const made = await converge(
    strict.value,
    { command: 'up', targets: [], dryRun: true },
    { system: runtime.system, env: runtime.env },
  );
  if (!made.ok) return failedPlan(made.error, runtime.cwd);
  const { plan } = made.value;
  return {
    ok: true,
    changed: plan.actions.length > 0,
    actions: plan.actions.map((a) => ({ service: a.service, kind: a.kind, cause: a.cause })),
    text: formatPlan(plan),
  };
}

function failedPlan(failure: Failure, cwd: string): PlanView {
  const diagnostics = 'diagnostics' in failure ? (failure.diagnostics ?? []) : [];
  return {
    ok: false,
    errors: diagnostics.map((d) => ({
      file: d.file,
      line: d.line,
      column: d.column,
      message: d.message,
      source_line: d.sourceLine ?? null,
    })),
    text: formatFailure(failure, { color: false, cwd }),
  };
}
