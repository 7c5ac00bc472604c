/** The export formats by name: each a pure function of the resolved manifest to files. */
import type { Desired } from '../core/model.js';
import type { ExportFile, ExportFormat } from './common.js';
import { exportCompose } from './compose.js';
import { exportMake } from './make.js';
import { exportSystemd } from './systemd.js';

/** Default file names when the output goes to a folder or a file must be named. */
export const DEFAULT_NAMES = { compose: 'compose.yaml', make: 'uiprocs.mk' } as const;

export function renderExport(format: ExportFormat, desired: Desired, opts: { user: boolean }): ExportFile[] {
  switch (format) {
    case 'systemd':
      return exportSystemd(desired, opts);
    case 'compose':
      return [{ name: DEFAULT_NAMES.compose, content: exportCompose(desired) }];
    case 'make':
      return [{ name: DEFAULT_NAMES.make, content: exportMake(desired) }];
  }
}
