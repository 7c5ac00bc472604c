#!/usr/bin/env node
/**
 * How long loading a 500-service manifest takes, in fresh node processes like a real
 * `uiprocs validate`: cold (no cache: parse + schema + rules + resolve) and warm (a cache
 * hit). Prints the in-process load time, the whole process's wall time (node start-up
 * included; the target for `uiprocs validate` is < 300 ms on a 2-core machine) and its CPU
 * time (user + system), which stays meaningful when other jobs load the machine.
 *
 * Run after `npm run build`:  node bench/validate.mjs [services=500] [runs=7]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const services = Number(process.argv[2] ?? 500);
const runs = Number(process.argv[3] ?? 7);
const load = fileURLToPath(new URL('../dist/manifest/load.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'uiprocs-bench-'));

let yaml =
  'version: 1\nproject: bench\ndefaults:\n  stop_timeout: 5s\n  env:\n    PYTHONUNBUFFERED: "1"\nservices:\n';
for (let i = 0; i < services; i++) {
  yaml += `  svc${i}:
    command: python -m http.server \${PORT} --bind 127.0.0.1
    port: ${10000 + i}
    group: [g${i % 10}, all]
    env:
      INDEX: "${i}"
      HOME_DIR: \${HOME:-/tmp}
    ready:
      http: /health
      timeout: 30s
${i > 0 ? `    depends_on: [svc${i - 1}]\n` : ''}`;
}
writeFileSync(join(dir, 'ui-procs.yaml'), yaml);

const script = `
const t0 = performance.now();
const { loadManifest } = await import(${JSON.stringify(load)});
const r = await loadManifest({ cwd: process.cwd(), env: process.env });
if (!r.ok) { console.error(JSON.stringify(r.error).slice(0, 500)); process.exit(2); }
const ru = process.resourceUsage();
process.stdout.write(JSON.stringify({ load: performance.now() - t0, cpu: (ru.userCPUTime + ru.systemCPUTime) / 1000 }));
`;

function run(env) {
  const t = performance.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), ...env },
  });
  return { ...JSON.parse(String(out)), wall: performance.now() - t };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function measure(label, env) {
  const r = Array.from({ length: runs }, () => run(env));
  const l = median(r.map((x) => x.load));
  const w = median(r.map((x) => x.wall));
  const c = median(r.map((x) => x.cpu));
  console.log(
    `${label.padEnd(28)} load ${l.toFixed(1).padStart(6)} ms   process wall ${w.toFixed(1).padStart(6)} ms   process cpu ${c.toFixed(1).padStart(6)} ms`,
  );
}

function importCost(mod) {
  const code = `const t=performance.now(); await import(${JSON.stringify(mod)}); process.stdout.write(String(performance.now()-t));`;
  const xs = Array.from({ length: runs }, () =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', code], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      }),
    ),
  );
  console.log(`${`import ${mod}`.padEnd(28)} ${median(xs).toFixed(1).padStart(6)} ms`);
}

const bare = median(
  Array.from({ length: runs }, () => {
    const t = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    return performance.now() - t;
  }),
);
console.log(`${services} services, median of ${runs} fresh processes each`);
console.log(`${'node -e 0'.padEnd(28)} ${''.padStart(17)}process wall ${bare.toFixed(1).padStart(6)} ms`);
measure('cold (UIPROCS_NO_CACHE=1)', { UIPROCS_NO_CACHE: '1' });
run({}); // fill the cache
measure('warm (cache hit)', {});
for (const m of ['cosmiconfig', 'yaml', 'js-yaml', 'ajv']) importCost(m);
rmSync(dir, { recursive: true, force: true });
