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

/**
 * A size for people, binary like the manifest's sizes (1 MB = 1024² bytes, units.ts):
 * `812 KB`, `96.3 MB`, `1.25 GB`. Three significant digits at most, so columns stay narrow.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** A CPU share of one core: `0%`, `0.4%`, `12%`, `198%` (one decimal only below 10 %). */
export function formatPercent(percent: number): string {
  return percent < 10 && percent !== 0 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

/**
 * The manifest's dashboard (`dashboard: { port }`), always on loopback, with the project's
 * session token (state/dashboard-token.ts): the URL is how its owner gets in.
 */
export function dashboardUrl(port: number, token: string | undefined): string {
  return `http://127.0.0.1:${port}/${token === undefined ? '' : `?token=${token}`}`;
}
