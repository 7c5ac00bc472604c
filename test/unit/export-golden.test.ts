/**
 * Export is a pure function of the resolved manifest: for every case, the exact files of
 * each format are kept in test/fixtures/export/<case>/, with the manifest's folder written
 * as <DIR> so they hold on any machine. UPDATE_GOLDEN=1 rewrites them; read every change.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExportFormat } from '../../src/export/common.js';
import { renderExport } from '../../src/export/index.js';
import { EXPORT_CASES, fixedResolver, loadCase, root } from './export-cases.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const GOLDEN = join(root, 'test/fixtures/export');

/** Several files as one text: a `==> name <==` line before each. */
const joinFiles = (files: { name: string; content: string }[]) =>
  files.map((f) => `==> ${f.name} <==\n${f.content}`).join('\n');

/** The formats each case is rendered in, with the options that shape them. */
const VARIANTS = [
  { variant: 'systemd', format: 'systemd', file: 'systemd.txt' },
  // --user changes only WantedBy= of the project target: one golden case is enough.
  { variant: 'systemd-user', format: 'systemd', file: 'systemd-user.txt', user: true, only: 'bundled' },
  // --project-dir: every path under the project (the venv's streamlit too) moves there.
  {
    variant: 'systemd-relocated',
    format: 'systemd',
    file: 'systemd-relocated.txt',
    projectDir: '/srv/ocr-ui',
    only: 'examples-streamlit',
  },
  { variant: 'compose', format: 'compose', file: 'compose.yaml' },
  { variant: 'make', format: 'make', file: 'uiprocs.mk' },
  { variant: 'kubernetes', format: 'kubernetes', file: 'kubernetes.yaml' },
  // --namespace and --ingress add a field and documents: one golden case is enough.
  {
    variant: 'kubernetes-ingress',
    format: 'kubernetes',
    file: 'kubernetes-ingress.yaml',
    namespace: 'ocr',
    ingress: 'ui.example.org',
    only: 'examples-streamlit',
  },
] as const satisfies {
  variant: string;
  format: ExportFormat;
  file: string;
  user?: boolean;
  projectDir?: string;
  namespace?: string;
  ingress?: string;
  only?: string;
}[];

describe('export golden files', () => {
  for (const [name, dir] of Object.entries(EXPORT_CASES)) {
    for (const v of VARIANTS) {
      if ('only' in v && v.only !== name) continue;
      it(`${name} ${v.variant}`, async () => {
        const render = async () => {
          const desired = await loadCase(dir);
          const projectDir = 'projectDir' in v ? v.projectDir : desired.projectDir;
          return renderExport(v.format, desired, {
            user: 'user' in v && v.user,
            projectDir,
            resolve: fixedResolver(projectDir),
            fileDir: dir,
            ...('namespace' in v ? { namespace: v.namespace, ingress: v.ingress } : {}),
          }).files;
        };
        const files = await render();
        const text = (v.format === 'systemd' ? joinFiles(files) : files[0]!.content).split(dir).join('<DIR>');
        // Same input, same bytes: nothing depends on time, order of the machine or the environment.
        expect(await render()).toEqual(files);
        const path = join(GOLDEN, name, v.file);
        if (UPDATE) {
          mkdirSync(join(GOLDEN, name), { recursive: true });
          writeFileSync(path, text);
        }
        expect(text).toBe(readFileSync(path, 'utf8'));
      });
    }
  }
});
