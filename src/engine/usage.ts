/**
 * Usage of every running service for `ps`: one look at the process table, the stored CPU
 * samples as base, and only when none of them can serve, a second look after a short
 * wait. See runtime/usage.ts for which processes count and how a base is chosen.
 */

import { processKey } from '../core/identity.js';
import type { RunRecord } from '../core/model.js';
import type { ProcessSnapshot } from '../runtime/service-processes.js';
import type { System } from '../runtime/system.js';
import {
  type CpuSample,
  chooseBase,
  FRESH_SAMPLE_WAIT_MS,
  pruneSamples,
  type ServiceUsage,
  serviceUsage,
  takeSample,
  usageProcesses,
  usageSnapshot,
} from '../runtime/usage.js';
import { readCpuSamples, writeCpuSamples } from '../state/cpu-samples.js';

export interface UsageOptions {
  /** The state dir, when trusted: samples are read from and kept there. Otherwise both samples are taken now. */
  stateDir?: string;
  /** A usageSnapshot the caller took already (ps shares it with its untracked-process search). */
  snapshot?: ProcessSnapshot;
  /** Wall-clock ms (samples outlive this process). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * false: with no stored sample to measure from, do not wait for a second one — CPU is
   * unknown (null) this time, and the sample taken now is kept for the next look. The
   * dashboard, which looks every second, answers its first request at once this way.
   */
  waitForBase?: boolean;
}

/**
 * Service name → usage, for the running `records` (all of them: the samples kept must
 * cover every member of every running service, whatever the targets of this `ps`).
 */
export async function measureUsage(
  system: System,
  projectId: string,
  records: readonly RunRecord[],
  options: UsageOptions = {},
): Promise<Map<string, ServiceUsage>> {
  const out = new Map<string, ServiceUsage>();
  if (records.length === 0) return out;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  let first = options.snapshot;
  const look = () => {
    const snapshot = first ?? usageSnapshot(system, projectId, records);
    first = undefined;
    const members = new Map(records.map((r) => [r.name, usageProcesses(snapshot, r)]));
    const table = snapshot.table;
    const sample = takeSample([...members.values()].flat(), now());
    return { table, members, sample };
  };

  let current = look();
  const stored = options.stateDir === undefined ? [] : readCpuSamples(options.stateDir);
  let base: CpuSample | undefined = chooseBase(stored, current.sample.at);
  const earlier = [...stored];
  if (base === undefined && options.waitForBase === false) {
    for (const record of records)
      out.set(record.name, {
        ...serviceUsage(current.members.get(record.name) ?? [], current.sample, current.sample),
        cpuPercent: null,
      });
    if (options.stateDir !== undefined) {
      const alive = new Set(current.table.map(processKey));
      writeCpuSamples(options.stateDir, pruneSamples(earlier, current.sample, alive));
    }
    return out;
  }
  if (base === undefined) {
    base = current.sample;
    earlier.push(base);
    await sleep(FRESH_SAMPLE_WAIT_MS);
    current = look();
  }
  for (const record of records)
    out.set(
      record.name,
      serviceUsage(
        current.members.get(record.name) ?? [],
        current.sample,
        base,
        Date.parse(record.startedAt),
      ),
    );

  if (options.stateDir !== undefined) {
    const alive = new Set(current.table.map(processKey));
    writeCpuSamples(options.stateDir, pruneSamples(earlier, current.sample, alive));
  }
  return out;
}
