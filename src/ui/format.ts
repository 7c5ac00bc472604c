/** Small, stable formatting of durations for people: `40 ms`, `1.2 s`, `3m 05s`, `2h 10m`, `3d 4h`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatUptime(ms);
}

export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** The URL a person opens for a UI on this port. */
export function urlFor(port: number | null): string | null {
  return port === null ? null : `http://127.0.0.1:${port}/`;
}
