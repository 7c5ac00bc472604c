/**
 * Vitest global setup: one directory per test run in which every worker claims the ports it
 * hands out (`open(…, 'wx')` is atomic across processes). Without it, two workers may be given
 * the same free port by the kernel a moment apart, and one test's probe would find the other
 * test's server.
 * It also points XDG_STATE_HOME at a temp dir for the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PORTS_DIR_ENV = 'UIPROCS_TEST_PORTS_DIR';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-test-ports-'));
  process.env[PORTS_DIR_ENV] = dir;
  // Every uiprocs a test runs registers its projects (src/state/registry.ts) here, not in the
  // real ~/.local/state of whoever runs the suite; the e2e harness gives each project its own.
  const stateHome = mkdtempSync(join(tmpdir(), 'uiprocs-test-state-'));
  process.env.XDG_STATE_HOME = stateHome;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateHome, { recursive: true, force: true });
  };
}
