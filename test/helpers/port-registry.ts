/**
 * Vitest global setup: one directory per test run in which every worker claims the ports it
 * hands out (`open(…, 'wx')` is atomic across processes). Without it, two workers may be given
 * the same free port by the kernel a moment apart, and one test's probe would find the other
 * test's server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PORTS_DIR_ENV = 'UIPROCS_TEST_PORTS_DIR';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'uiprocs-test-ports-'));
  process.env[PORTS_DIR_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
