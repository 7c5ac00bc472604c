/**
 * The manifest's dashboard (`dashboard: { port }`), served by whoever holds the duties —
 * the detached supervisor, or a foreground `uiprocs watch` while it has taken them over —
 * for as long as it holds them (duties/start-duties.ts calls `sync` after every liveness tick;
 * the hosts hand it in as a loader, so the duties never import the dashboard).
 *
 * - Loaded only when the manifest asks for a dashboard: an idle supervisor without one
 *   never pays for the HTTP server.
 * - At a handover the previous holder may still have the port for a moment: a bind that
 *   finds it in use is tried again at the next tick (every second), said once.
 * - A manifest edit that moves or removes the port closes the old server and opens the new.
 */
import type { Desired } from '../core/model.js';
import type { Duty, DutyContext } from '../duties/duty.js';

/** `sync` serves the port the desired state asks for now (or none). */
export function dashboardDuty(deps: DutyContext): Duty {
  let serving: { port: number; close: () => Promise<void> } | undefined;
  let busy: Promise<void> = Promise.resolve();
  let stopped = false;
  let saidBusy: number | undefined;

  const open = async (desired: Desired, port: number) => {
    const { startDashboard } = await import('./server.js');
    const { dashboardToken } = await import('../state/dashboard-token.js');
    const token = dashboardToken(desired.stateDir);
    if (!token.ok && 'message' in token.error)
      deps.say(`dashboard: ${token.error.message}; its token lasts this run only`);
    const started = await startDashboard({
      token: token.ok ? token.value : undefined,
      input: {
        file: desired.manifestPath,
        overrides: desired.overrideFiles,
        cwd: desired.projectDir,
        env: deps.env,
      },
      manifestPath: desired.manifestPath,
      port,
      system: deps.system,
      env: deps.env,
      say: deps.say,
    });
    if (!started.ok) {
      if (saidBusy !== port)
        deps.say(
          `${'message' in started.error ? started.error.message : 'dashboard: cannot start'}; trying again`,
        );
      saidBusy = port;
      return;
    }
    saidBusy = undefined;
    if (stopped) return started.value.close();
    serving = { port, close: started.value.close };
    deps.say(`dashboard: ${started.value.url}`);
  };

  return {
    sync() {
      busy = busy
        .then(async () => {
          if (stopped) return;
          const desired = deps.desired();
          const want = desired.supervise === false ? undefined : desired.dashboard?.port;
          if (serving !== undefined && serving.port !== want) {
            await serving.close();
            serving = undefined;
          }
          if (want !== undefined && serving === undefined) await open(desired, want);
        })
        .catch((error: unknown) => deps.say(`dashboard: ${String(error)}`));
    },
    async stop() {
      stopped = true;
      await busy;
      await serving?.close();
      serving = undefined;
    },
  };
}
