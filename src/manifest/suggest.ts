/**
 * "Did you mean" for typos: optimal-string-alignment (Damerau) distance, which counts a
 * swap of two neighbours (`comamnd`) as one edit, the commonest typing slip.
 */

export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/**
 * The closest candidate within `maxDistance` edits (case-insensitive), or undefined.
 * Ties go to the earlier candidate, so suggestions follow the schema's field order.
 * Very short words get at most one edit, or `a` would suggest every one-letter name.
 */
export function closest(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  const limit = word.length <= 3 ? 1 : maxDistance;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (c === word) continue;
    const dist = editDistance(lower, c.toLowerCase());
    if (dist <= limit && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** `did you mean "command"?`, or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const c = closest(word, candidates);
  return c === undefined ? undefined : `did you mean "${c}"?`;
}

/**
 * Keys people bring from docker compose and pm2, with uiprocs' spelling (issue #20, item 11):
 * edit distance finds none of these (`environment` is 8 edits from `env`), and they are the
 * commonest unknown fields in a first manifest. Each applies only where its target field
 * is allowed (`allowed`), so `test` is only explained under `healthcheck`.
 */
const FOREIGN_KEYS: Record<string, { target: string; hint: string }> = {
  environment: { target: 'env', hint: 'did you mean "env"? (compose\'s environment: is env: here)' },
  working_dir: { target: 'cwd', hint: 'did you mean "cwd"? (compose\'s working_dir: is cwd: here)' },
  ports: { target: 'port', hint: 'did you mean "port"? (one port per service: port: 3000, or "auto")' },
  autorestart: {
    target: 'restart',
    hint: 'did you mean "restart"? (pm2\'s autorestart: true is restart: always, false is restart: no)',
  },
  test: {
    target: 'command',
    hint: 'compose\'s healthcheck.test is a command here: healthcheck: { command: [curl, -f, "http://…"] }, or http: /health',
  },
};

/** The hint for a key from compose/pm2 whose uiprocs field is in `allowed`, else undefined. */
export function foreignKeyHint(key: string, allowed: readonly string[]): string | undefined {
  const f = Object.hasOwn(FOREIGN_KEYS, key) ? FOREIGN_KEYS[key] : undefined;
  return f && allowed.includes(f.target) ? f.hint : undefined;
}

/** Compose's depends_on conditions, in uiprocs' words. */
const COMPOSE_CONDITIONS: Record<string, string> = {
  service_completed_successfully: 'completed',
  service_healthy: 'ready',
  service_started: 'started',
};

/** `did you mean condition: completed?` for a compose condition where uiprocs wants its own, else undefined. */
export function composeConditionHint(value: unknown): string | undefined {
  if (typeof value !== 'string' || !Object.hasOwn(COMPOSE_CONDITIONS, value)) return undefined;
  return `did you mean "condition: ${COMPOSE_CONDITIONS[value]}"? (compose's ${value})`;
}
