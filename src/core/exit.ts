/**
 * How a service ended, in words: one place, so the failure line of `up`, the note of `ps`
 * and the plan's causes say it the same way. Pure.
 */
import type { ServiceExit } from './model.js';

/** `exited with code 3`, `killed by SIGSEGV`, or `exited (code unknown)`. */
export function describeExit(exit: Pick<ServiceExit, 'code' | 'signal'>): string {
  if (exit.code !== null) return `exited with code ${exit.code}`;
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return 'exited (code unknown)';
}

/** The STATUS of `ps`, after compose's `Exited (3)`: `exited (3)`, `exited (SIGKILL)`, `exited (code unknown)`. */
export function exitStatus(exit: Pick<ServiceExit, 'code' | 'signal'>): string {
  return `exited (${exit.code ?? exit.signal ?? 'code unknown'})`;
}

/** Whether the exit says more than "it is gone": a code or a signal. */
export function exitKnown(exit: Pick<ServiceExit, 'code' | 'signal'>): boolean {
  return exit.code !== null || exit.signal !== null;
}
