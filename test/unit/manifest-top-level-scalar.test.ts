import { describe, expect, it } from 'vitest';
import { topLevelScalar } from '../../src/manifest/top-level-scalar.js';

const read = (text: string, key = 'state_dir') => topLevelScalar(text, key);
const value = (v: string) => ({ kind: 'value', value: v });

describe('topLevelScalar: a tolerant read of one top-level key from a broken manifest', () => {
  it('reads a one-line plain or quoted string, with a comment after it', () => {
    const broken = 'services:\n  web:\n    command: "never closed\n';
    expect(read(`version: 1\nstate_dir: run/state\n${broken}`)).toEqual(value('run/state'));
    expect(read(`state_dir: run/state   # here\n${broken}`)).toEqual(value('run/state'));
    expect(read(`state_dir: 'it''s here'\n${broken}`)).toEqual(value("it's here"));
    expect(read(`state_dir: "with # inside" # comment\n${broken}`)).toEqual(value('with # inside'));
    expect(read(`"state_dir": .state\r\n${broken}`)).toEqual(value('.state'));
    expect(read(`\uFEFFstate_dir: .state\n${broken}`)).toEqual(value('.state'));
    expect(read('project: ocr-ui\nservices: [', 'project')).toEqual(value('ocr-ui'));
  });

  it('absent when the key is not there, or only in comments and values', () => {
    expect(read('version: 1\nservices:\n  web: { command: "x\n')).toEqual({ kind: 'absent' });
    expect(read('# state_dir: old\n  # state_dir: older\nservices: [\n')).toEqual({ kind: 'absent' });
    expect(read('services:\n  web: { command: "echo $state_dir/x" }\n')).toEqual({ kind: 'absent' });
  });

  it('unclear, never a guess, for everything else', () => {
    for (const text of [
      "state_dir: 'never closed\n", // the broken line itself
      'state_dir: "with \\" escape"\n',
      'state_dir:\n  .state\n', // a value on the next line
      'state_dir: first\n  second line\n', // a multi-line plain scalar
      'state_dir: |\n  .state\n',
      'state_dir: [a]\n',
      'state_dir: &x .state\n',
      'state_dir: 5\n', // not a string
      'state_dir: null\n',
      'state_dir: true\n',
      'state_dir: ""\n',
      'state_dir: a: b\n',
      'state_dir: .one\nstate_dir: .two\n', // twice
      'defaults:\n  state_dir: .state\n', // indented: not top level, or a mistake
      '{ "version": 1, "state_dir": ".state" }\n', // JSON or flow style
      'services:\n  web: { command: x, state_dir: y }\n',
    ])
      expect(read(text), JSON.stringify(text)).toEqual({ kind: 'unclear' });
  });
});
