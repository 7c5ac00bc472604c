/**
 * The port a start gets. A fixed port is checked free (one socket-table read per round
 * answers every start of a level, listen-rounds.ts), else the start fails naming who holds
 * it. `port: auto` keeps the port it last had — its record's, else the one remembered in
 * the state dir across `down` — while that port is free, so a bookmarked URL keeps working;
 * only a taken port is replaced by a fresh one, and the reason travels to up's output. Two
 * `auto` services started together never share one.
 */
import { type Desired, fail, type Observed, ok, type Result } from '../core/model.js';
import type { ListenRounds } from '../runtime/listen-rounds.js';
import type { System } from '../runtime/system.js';
import { rememberedPort } from '../state/port-memory.js';

export interface PortChoice {
  port: number | null;
  /** `port: auto` moved off the port it had before: why, for the start's message. */
  moved?: string;
  /** What `run/<name>.port` said before this start (rewritten only when it changes). */
  remembered?: number;
}

export interface PortChooserInput {
  desired: Desired;
  observed: Observed;
  system: System;
  listen: ListenRounds;
  /** The caller's environment: where the project registry is, to name another project's holder. */
  env?: Record<string, string | undefined>;
}

/** One converge's port choices: the ports it chose stay claimed for its later starts. */
export function portChooser(input: PortChooserInput): (name: string) => Promise<Result<PortChoice>> {
  const { desired, observed, system, listen } = input;
  /** Ports chosen by this converge's starts: two `auto` services started together never share one. */
  const chosen = new Set<number>();

  /** A port another service of the project holds or will hold (running record, fixed port, chosen now). */
  function usedElsewhere(name: string, port: number): boolean {
    if (chosen.has(port)) return true;
    for (const obs of Object.values(observed.services))
      if (obs.name !== name && obs.status === 'running' && obs.record.port === port) return true;
    return Object.values(desired.services).some((s) => s.name !== name && s.port === port);
  }

  async function choosePort(name: string): Promise<Result<PortChoice>> {
    const spec = desired.services[name]!;
    if (spec.port === null) return ok({ port: null });
    if (spec.port !== 'auto') {
      // The starts of one level ask together: one read answers them all, and a "not
      // listening" that the socket counters still vouch for since preflight costs none.
      if ((await listen.look(spec.port)) === false) return ok({ port: spec.port });
      const owners = system.portOwners(spec.port);
      if (owners.length > 0) {
        const { describeHolders } = await import('./port-holders.js');
        return fail({
          reason: 'service-failed',
          message: `${name}: ${describeHolders(spec.port, owners, system, input.env ?? {})}`,
        });
      }
      return ok({ port: spec.port });
    }
    return ok(await chooseAutoPort(name));
  }

  /**
   * `port: auto` keeps the port it last had — its record's, else the one remembered in the
   * state dir across `down` — while that port is free, so a bookmarked URL keeps working.
   * Only a taken port is replaced by a fresh one, and the reason travels to up's output.
   */
  async function chooseAutoPort(name: string): Promise<PortChoice> {
    const { describeOwners, freePort, isPortFree } = await import('../runtime/ports.js');
    const previous = observed.services[name];
    const remembered = rememberedPort(desired.stateDir, name);
    const last = (previous && previous.status !== 'absent' ? previous.record.port : null) ?? remembered;
    let moved: string | undefined;
    if (last !== undefined) {
      if (usedElsewhere(name, last)) moved = `port ${last} is another service's now`;
      else {
        chosen.add(last); // claimed before the await: a parallel start must not pick it meanwhile
        if (await isPortFree(last)) return { port: last, remembered };
        chosen.delete(last);
        moved = describeOwners(last, system.portOwners(last));
      }
    }
    let port = await freePort();
    while (usedElsewhere(name, port)) port = await freePort();
    chosen.add(port);
    return { port, remembered, ...(moved !== undefined ? { moved } : {}) };
  }

  return choosePort;
}
