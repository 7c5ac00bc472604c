/**
 * A duty: something that runs while services run, for as long as a host holds the duties
 * (the detached supervisor, or a foreground `uiprocs watch`: supervisor/main.ts and
 * duties/foreground-watch.ts are its two hosts, both through start-duties.ts).
 *
 * The liveness loop drives them: after each of its ticks every started duty is `sync`ed (read
 * what runs now, serve the port the manifest asks for …), and `stop` ends it before the
 * host lets go. A duty that lives in a layer above this one (the dashboard) is handed in as
 * a {@link DutyLoader}, so this folder never imports it, and its code is loaded only once
 * the manifest asks for it.
 */
import type { Desired } from '../core/model.js';
import type { System } from '../runtime/system.js';

export interface Duty {
  /** After a tick (or a converge): act on what runs and what the manifest asks for now. */
  sync(): void;
  /** Stop acting; resolves once nothing of it is in flight. */
  stop(): Promise<void>;
}

/** What every duty gets from its host. */
export interface DutyContext {
  /** The latest desired state (a reconcile replaces it). */
  desired: () => Desired;
  system: System;
  /** The host's environment (command probes, the dashboard's project input). */
  env: Record<string, string | undefined>;
  /** One line for the person (watch: stderr; the supervisor: its log). */
  say: (line: string) => void;
}

/** Loads and starts a duty the host injects (its module imported on first need). */
export type DutyLoader = (ctx: DutyContext) => Promise<Duty>;
