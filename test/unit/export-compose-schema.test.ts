/**
 * Every exported compose file is valid against the Compose Specification's own JSON
 * Schema (draft-07; a copy with its notice in test/fixtures/compose-spec), and says what
 * the manifest says: commands, ports, conditions, and `$` escaped for compose's
 * interpolation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Desired } from '../../src/core/model.js';
import { exportCompose } from '../../src/export/compose.js';
import { EXPORT_CASES, loadCase, root } from './export-cases.js';

/** The compose file as written beside the manifest. */
const compose = (desired: Desired) => exportCompose(desired, { fileDir: desired.projectDir }).content;

const schema = JSON.parse(
  readFileSync(join(root, 'test/fixtures/compose-spec/compose-spec.schema.json'), 'utf8'),
) as Record<string, unknown>;

function validator() {
  expect(schema.$schema).toMatch(/draft-07/);
  // The spec names the draft-07 meta-schema by its https URL, which ajv knows as http: drop
  // the pointer; ajv's default dialect is draft-07 and it still checks the schema compiles.
  const { $schema: _, ...body } = schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(body);
}

describe('export compose against the compose-spec schema', () => {
  const validate = validator();

  it('rejects what compose rejects (the validator is not vacuous)', () => {
    expect(validate({ services: { web: { image: 'x', ports: 8080, bogus: 1 } } })).toBe(false);
    expect(validate({ services: { web: { image: 'x', depends_on: { db: { condition: 'ready' } } } } })).toBe(
      false,
    );
  });

  for (const [name, dir] of Object.entries(EXPORT_CASES)) {
    it(name, async () => {
      const text = compose(await loadCase(dir));
      const doc = parse(text) as Record<string, unknown>;
      const valid = validate(doc);
      expect(valid, JSON.stringify(validate.errors, null, 2)).toBe(true);
    });
  }

  it('keeps literal dollars literal and gives an auto port its variable', async () => {
    const interp = parse(compose(await loadCase(EXPORT_CASES.interpolation!))) as {
      services: { api: { environment: Record<string, string> } };
    };
    // `$$` is compose's escape for `$`: after its interpolation the process sees `costs $5`.
    expect(interp.services.api.environment.PRICE).toBe('costs $$5');
    const auto = parse(compose(await loadCase(EXPORT_CASES['auto-port']!))) as {
      services: { notebook: { command: string[]; ports: string[]; environment: Record<string, string> } };
    };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own ${VAR} syntax
    expect(auto.services.notebook.command).toContain('${PORT_NOTEBOOK}');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own ${VAR} syntax
    expect(auto.services.notebook.ports).toEqual(['${PORT_NOTEBOOK}:${PORT_NOTEBOOK}']);
    expect(auto.services.notebook.environment.PORT).toMatch(/^\$\{PORT_NOTEBOOK:\?/);
  });

  it('maps healthcheck as written (its probe, interval, timeout, retries, start_period), none when turned off', async () => {
    const doc = parse(compose(await loadCase(EXPORT_CASES.healthcheck!))) as {
      services: Record<string, { healthcheck?: Record<string, unknown> }>;
    };
    const s = doc.services;
    expect(s.api!.healthcheck).toEqual({
      test: ['CMD-SHELL', "bash -c ': </dev/tcp/127.0.0.1/8081' 2>/dev/null"],
      interval: '2s',
      timeout: '500ms',
      retries: 5,
      start_period: '30s',
    });
    expect(s.web!.healthcheck!.test).toEqual([
      'CMD-SHELL',
      'curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:8080/health || wget -q -O /dev/null -T 5 http://127.0.0.1:8080/health',
    ]);
    expect(s.ui!.healthcheck!.test).toEqual(['CMD', 'python', 'probe.py', '8501']);
    // healthcheck: false and disable: true: no healthcheck, and no ready probe in its place
    // (these have no port, so ready is `alive`).
    expect(s.worker!.healthcheck).toBeUndefined();
    expect(s.batch!.healthcheck).toBeUndefined();
  });

  it('maps limits to deploy.resources.limits and ulimits.nofile, a service without limits to neither', async () => {
    const doc = parse(compose(await loadCase(EXPORT_CASES.limits!))) as {
      services: Record<string, { deploy?: unknown; ulimits?: unknown }>;
    };
    const s = doc.services;
    expect(s.web!.deploy).toEqual({ resources: { limits: { memory: '512m', cpus: '1.5', pids: 64 } } });
    expect(s.web!.ulimits).toEqual({ nofile: { soft: 4096, hard: 4096 } });
    // Exact, never rounded: bytes when no binary unit divides the size.
    expect(s.worker!.deploy).toEqual({
      resources: { limits: { memory: '536870913b', cpus: '0.25', pids: 20 } },
    });
    expect(s.api!.deploy).toEqual({ resources: { limits: { memory: '1536m' } } });
    const none = parse(compose(await loadCase(EXPORT_CASES.healthcheck!))) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(none.services.web).not.toHaveProperty('deploy');
    expect(none.services.web).not.toHaveProperty('ulimits');
  });
});
