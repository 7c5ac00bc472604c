import type { DependencyCondition } from '../core/model.js';

/** Built-in defaults, in one place (like process-compose's probe defaults). */
export const DEFAULTS = {
  stateDir: '.uiprocs',
  readyTimeout: 60_000,
  readyInterval: 100,
  stopSignal: 'SIGTERM',
  stopTimeout: 10_000,
  restart: 'no',
  maxRestarts: 5,
  logMaxSize: 10 * 1024 * 1024,
  logKeep: 3,
  dependencyCondition: 'ready' as DependencyCondition,
  /** docker's defaults are 30s / 30s / 3 / 0; 10 s notices a hung UI sooner, 5 s is a generous answer time. */
  healthInterval: 10_000,
  healthTimeout: 5_000,
  healthRetries: 3,
  healthStartPeriod: 0,
} as const;
