/**
 * YAML that every reader takes the same way. uiprocs reads YAML 1.2, where `no`, `on` and
 * `12:30` are plain strings and `yaml` prints them bare; a YAML 1.1 reader (PyYAML, older yq,
 * an editor's schema check) would see false, true and 750. So such strings are quoted.
 * Used by `uiprocs config` and `uiprocs init`: one rule for what uiprocs writes.
 */
import { Document, type ToStringOptions, visit } from 'yaml';

/** Plain strings that YAML 1.1 reads as a boolean, null or base-60 number. */
export const YAML11_AMBIGUOUS =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?)$/;

export function yamlForEveryReader(value: unknown, options?: ToStringOptions): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && YAML11_AMBIGUOUS.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(options);
}
