/**
 * Export is a pure function of the resolved manifest: for every case, the exact files of
 * each format are kept in test/fixtures/export/<case>/, with the manifest's folder written
 * as <DIR> so they hold on any machine. UPDATE_GOLDEN=1 rewrites them; read every change.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderExport } from '../../src/export/index.js';
import { EXPORT_CASES, loadCase, root } from './export-cases.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const GOLDEN = join(root, 'test/fixtures/export');

/** Several files as one text: a `==> name <==` line before each. */
const joinFiles = (files: { name: string; content: string }[]) =>
  files.map((f) => `==> ${f.name} <==\n${f.content}`).join('\n');

describe('export golden files', () => {
  for (const [name, dir] of Object.entries(EXPORT_CASES)) {
    for (const [format, file] of [
      ['systemd', 'systemd.txt'],
      ['systemd-user', 'systemd-user.txt'],
      ['compose', 'compose.yaml'],
      ['make', 'uiprocs.mk'],
    ] as const) {
      // --user changes only WantedBy= of the project target: one golden case is enough.
      if (format === 'systemd-user' && name !== 'bundled') continue;
      it(`${name} ${format}`, async () => {
        const desired = await loadCase(dir);
        const files =
          format === 'systemd-user'
            ? renderExport('systemd', desired, { user: true })
            : renderExport(format, desired, { user: false });
        const text = (format.startsWith('systemd') ? joinFiles(files) : files[0]!.content)
          .split(dir)
          .join('<DIR>');
        // Same input, same bytes: nothing depends on time, order of the machine or the environment.
        const again = renderExport(format === 'systemd-user' ? 'systemd' : format, await loadCase(dir), {
          user: format === 'systemd-user',
        });
        expect(again).toEqual(files);
        const path = join(GOLDEN, name, file);
        if (UPDATE) {
          mkdirSync(join(GOLDEN, name), { recursive: true });
          writeFileSync(path, text);
        }
        expect(text).toBe(readFileSync(path, 'utf8'));
      });
    }
  }
});
