/**
 * How a service is stopped: which signal, and how long before SIGKILL. The manifest's
 * (`stop_signal`, `stop_timeout`); for a service the manifest does not describe (an orphan,
 * a manifest that does not parse), what its record kept from the manifest it was started
 * with; else SIGTERM and 10 s. `down --timeout` overrides every timeout. Record fields come
 * from disk, so they are used only when well-formed. Used by every stop: the converge's
 * (engine/effects.ts) and the remains a policy leaves down (duties/stop-remains.ts).
 */
import type { RunRecord } from './model.js';

export interface StopSettings {
  signal: string;
  timeoutMs: number;
}

export function stopSettings(
  spec: { stopSignal?: string; stopTimeout?: number } | undefined,
  record: Pick<RunRecord, 'stopSignal' | 'stopTimeout'> | undefined,
  overrideMs?: number,
): StopSettings {
  const signal = typeof record?.stopSignal === 'string' ? record.stopSignal : undefined;
  const recorded = record?.stopTimeout;
  const timeout = Number.isSafeInteger(recorded) && (recorded as number) >= 0 ? recorded : undefined;
  return {
    signal: spec?.stopSignal ?? signal ?? 'SIGTERM',
    timeoutMs: overrideMs ?? spec?.stopTimeout ?? timeout ?? 10_000,
  };
}
