/**
 * `uiprocs export make`: a Makefile fragment for teams that live in make. Every target
 * calls uiprocs with `-f <manifest>`, so the fragment works included from any folder:
 * `serve-<x>` (up), `stop-<x>` (down), `status-<x>` (ps --check: exit 1 unless running)
 * for every service and every group, `stop-all` and `list` (ps). `UIPROCS ?= uiprocs`
 * picks the binary (`make UIPROCS="npx uiprocs" serve-web`); `UIPROCS_MANIFEST ?=` the
 * manifest, as a path relative to the fragment itself (make's `$(MAKEFILE_LIST)` names the
 * fragment as it was read, so the path holds from any folder and in any checkout). A pure
 * function of the resolved manifest and the fragment's folder.
 */
import { relative } from 'node:path';
import type { Desired } from '../core/model.js';
import { headerText, shWord } from './common.js';

export interface MakeOptions {
  /** Absolute folder the fragment is written to: the manifest's path is relative to it. */
  fileDir: string;
}

export function exportMake(desired: Desired, opts: MakeOptions): string {
  const names = [...Object.keys(desired.services), ...Object.keys(desired.groups)];
  const targets = names.flatMap((n) => [`serve-${n}`, `stop-${n}`, `status-${n}`]);
  const out: string[] = [
    `# ${headerText('make', desired)}`,
    '# Include it from a Makefile (include uiprocs.mk) or run it: make -f uiprocs.mk serve-<name>.',
    'UIPROCS ?= uiprocs',
    "# This fragment's folder, taken while make reads it (the last file read so far).",
    'UIPROCS_MK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))',
    `UIPROCS_MANIFEST ?= $(UIPROCS_MK_DIR)${makeValue(shWord(relative(opts.fileDir, desired.manifestPath)))}`,
    'UIPROCS_RUN = $(UIPROCS) -f $(UIPROCS_MANIFEST)',
    '',
    `.PHONY: list stop-all`,
    ...chunk(targets, 3).map((t) => `.PHONY: ${t.join(' ')}`),
    '',
    'list:',
    '\t$(UIPROCS_RUN) ps',
    '',
    'stop-all:',
    '\t$(UIPROCS_RUN) down',
  ];
  for (const n of names) {
    const kind = Object.hasOwn(desired.services, n) ? 'service' : 'group';
    const arg = shWord(n);
    out.push(
      '',
      `# ${kind} ${n}${watchNote(desired, n)}`,
      `serve-${n}:`,
      `\t$(UIPROCS_RUN) up ${arg}`,
      `stop-${n}:`,
      `\t$(UIPROCS_RUN) down ${arg}`,
      `status-${n}:`,
      `\t$(UIPROCS_RUN) ps --check ${arg}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/**
 * make itself watches nothing, but its targets run uiprocs, whose supervisor keeps the
 * manifest's `watch:`: said beside the target rather than claimed unmapped.
 */
function watchNote(desired: Desired, name: string): string {
  const w = Object.hasOwn(desired.services, name) ? desired.services[name]!.watch : undefined;
  return w === undefined
    ? ''
    : ` (watch: ${w.paths.join(', ')}: restarted on changes by uiprocs, not by make)`;
}

/** A value on the right of `?=`: `$` is make's, `#` starts a comment. */
function makeValue(v: string): string {
  return v.replace(/\$/g, '$$$$').replace(/#/g, '\\#');
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
