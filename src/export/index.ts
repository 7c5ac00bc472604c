/** The export formats by name: each a pure function of the resolved manifest (and explicit inputs) to files. */
import type { Desired } from '../core/model.js';
import type { Exported, ExportFormat } from './common.js';
import { exportCompose } from './compose.js';
import type { ResolveExecutable } from './executables.js';
import { exportKubernetes } from './kubernetes.js';
import { exportMake } from './make.js';
import { exportSystemd } from './systemd.js';

/** Default file names when the output goes to a folder or a file must be named. */
export const DEFAULT_NAMES = {
  compose: 'compose.yaml',
  make: 'uiprocs.mk',
  kubernetes: 'kubernetes.yaml',
} as const;

export interface RenderOptions {
  /** systemd: user units. */
  user: boolean;
  /** systemd: where the project lives on the target host (absolute); default the manifest's folder. */
  projectDir?: string;
  /** systemd: the file each command's program is on the target host. */
  resolve: ResolveExecutable;
  /** compose, make: the absolute folder the file goes to; their paths are relative to it. */
  fileDir: string;
  /** kubernetes: metadata.namespace of every object. */
  namespace?: string;
  /** kubernetes: an Ingress per service with a port at `<service>.<ingress>`. */
  ingress?: string;
  /** kubernetes: env values in the Deployment itself, not in a Secret per service. */
  inlineEnv?: boolean;
}

export function renderExport(format: ExportFormat, desired: Desired, opts: RenderOptions): Exported {
  switch (format) {
    case 'systemd':
      return exportSystemd(desired, opts);
    case 'compose': {
      const { content, warnings } = exportCompose(desired, opts);
      return { files: [{ name: DEFAULT_NAMES.compose, content, private: true }], warnings };
    }
    case 'kubernetes': {
      const { content, warnings } = exportKubernetes(desired, {
        ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
        ...(opts.ingress === undefined ? {} : { ingress: opts.ingress }),
        ...(opts.inlineEnv === true ? { inlineEnv: true } : {}),
      });
      return { files: [{ name: DEFAULT_NAMES.kubernetes, content, private: true }], warnings };
    }
    case 'make':
      return { files: [{ name: DEFAULT_NAMES.make, content: exportMake(desired, opts) }], warnings: [] };
  }
}
