/**
 * Waits that poll the kernel's socket table share one read of it per round.
 *
 * A no-op `up` of 100 servers confirms 100 services ready, and each wait asked the table
 * three times; the System's few-ms cache of a read could not keep up once one read took
 * longer than the cache lived (~6 ms with 100 listeners on one machine), so each question
 * read the table again: 300 reads, 1.8 s of kernel time, where `ps` of the same 100 reads
 * it once. Here every question is queued, and one `listeningAmong` call answers all the
 * questions of a round at once, from a read made after each of them was asked: so a
 * "listening" is never the old server's socket seen before a recreate, however slow the
 * read.
 *
 * Two kinds of round:
 *  - `look`: at the end of this event-loop turn. Waits that begin together (a no-op `up`
 *    confirming every running service, the starts of one level choosing their ports) ask
 *    in the same turn and share it.
 *  - `nextRound`: one shared tick every `periodMs` while someone waits. Waits that poll
 *    for ports to open join the pending tick, so they stay in step however far apart they
 *    began, and N waiters cost one read per tick rather than N.
 */
import type { Clock } from '../core/clock.js';
import { listeningAmong, type System } from './system.js';

/**
 * The shared tick: with a port, a wait looks at the table this often between attempts, so
 * `up` notices an opened port within this, not a whole backed-off interval
 * (PROBE_DEFAULTS.listenCheckMs).
 */
export const LISTEN_ROUND_MS = 15;

export interface ListenRounds {
  /** Whether something listens on the port, from one read at the end of this turn; undefined when the table cannot be read. */
  look(port: number): Promise<boolean | undefined>;
  /** The same, from the next shared tick (at most `periodMs` away). */
  nextRound(port: number): Promise<boolean | undefined>;
}

/** One round: the ports asked about until it runs, and its answer. */
interface Round {
  ports: Set<number>;
  answer: Promise<Set<number> | undefined>;
}

export function createListenRounds(system: System, clock: Clock, periodMs = LISTEN_ROUND_MS): ListenRounds {
  let thisTurn: Round | undefined;
  let nextTick: Round | undefined;

  function round(wait: Promise<void>, end: () => void): Round {
    const ports = new Set<number>();
    const answer = wait.then(() => {
      // Questions asked from here on belong to the next round: this read may precede them.
      end();
      return listeningAmong(system, [...ports]);
    });
    return { ports, answer };
  }

  function ask(r: Round, port: number): Promise<boolean | undefined> {
    r.ports.add(port);
    return r.answer.then((open) => open?.has(port));
  }

  return {
    look(port) {
      thisTurn ??= round(new Promise((resolve) => setImmediate(resolve)), () => {
        thisTurn = undefined;
      });
      return ask(thisTurn, port);
    },
    nextRound(port) {
      nextTick ??= round(clock.sleep(periodMs), () => {
        nextTick = undefined;
      });
      return ask(nextTick, port);
    },
  };
}
