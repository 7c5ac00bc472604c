// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${…} text
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../src/manifest/envfile.js';
import { interpolate } from '../../src/manifest/interpolate.js';
import { closest, didYouMean, editDistance } from '../../src/manifest/suggest.js';
import { normaliseSignal, parseDuration, parseSize } from '../../src/manifest/units.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [5, 5000],
    [0.25, 250],
    [0, 0],
  ] as const)('%s → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['10 secs', '-1s', '', 's', '10', '1d', '1m 30s'])('refuses %j', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it('refuses negative numbers', () => {
    expect(parseDuration(-1)).toBeNull();
  });
});

describe('parseSize', () => {
  it.each([
    ['10MB', 10 * 1024 * 1024],
    ['512KB', 512 * 1024],
    ['1GB', 1024 ** 3],
    ['10M', 10 * 1024 * 1024],
    ['1MiB', 1024 * 1024],
    ['2 kb', 2048],
    ['100B', 100],
    ['1.5MB', 1.5 * 1024 * 1024],
    [4096, 4096],
  ] as const)('%s → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['10 megabytes', 'MB', '-1MB', '1TB'])('refuses %j', (input) => {
    expect(parseSize(input)).toBeNull();
  });
});

describe('normaliseSignal', () => {
  it.each([
    ['TERM', 'SIGTERM'],
    ['SIGINT', 'SIGINT'],
    ['hup', 'SIGHUP'],
  ])('%s → %s', (a, b) => expect(normaliseSignal(a)).toBe(b));
});

describe('did you mean', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('comamnd', 'command')).toBe(1);
    expect(editDistance('comand', 'command')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests within two edits, case-insensitively, preferring the closest', () => {
    expect(didYouMean('comand', ['command', 'cwd'])).toBe('did you mean "command"?');
    expect(closest('Port', ['port', 'ports'])).toBe('port');
    expect(closest('replicas', ['command', 'port'])).toBeUndefined();
  });

  it('allows one edit only for short words', () => {
    expect(closest('ab', ['xy'])).toBeUndefined();
    expect(closest('ap', ['api'])).toBe('api');
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines like compose and dotenv', () => {
    const text = [
      '# comment',
      '',
      'A=1',
      'export B=two',
      'C="quoted # not a comment\\nnext"',
      "D='single $literal'",
      'E=plain # trailing comment',
      'F=',
      'G = spaced ',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      vars: {
        A: '1',
        B: 'two',
        C: 'quoted # not a comment\nnext',
        D: 'single $literal',
        E: 'plain',
        F: '',
        G: 'spaced',
      },
      problems: [],
    });
  });

  it('reports malformed lines with their line number', () => {
    expect(parseEnvFile('A=1\nnot a pair\n').problems).toEqual([
      { line: 2, message: 'line 2 is not KEY=VALUE: it has no "="' },
    ]);
  });
});

describe('interpolate', () => {
  const env: Record<string, string> = { A: 'a', EMPTY: '', PORT: '8000' };
  const lookup = (n: string) => env[n];
  const value = (s: string) => {
    const r = interpolate(s, lookup);
    expect(r.problems).toEqual([]);
    return r.value;
  };

  it('expands ${VAR}, $VAR and $$', () => {
    expect(value('x ${A} $A $$A $$ ${PORT}')).toBe('x a a $A $ 8000');
  });

  it('applies :- and - defaults the compose way', () => {
    expect(value('${MISSING:-d} ${EMPTY:-d} ${EMPTY-d} ${MISSING-d} ${A:-d}')).toBe('d d  d a');
  });

  it('expands nested defaults', () => {
    expect(value('${MISSING:-${A}-${MISSING2:-z}}')).toBe('a-z');
  });

  it('keeps a $ that starts nothing (shell snippets)', () => {
    expect(value("awk '{print $1}' $@ $( end$")).toBe("awk '{print $1}' $@ $( end$");
  });

  it('reports an unset variable with its offset and length', () => {
    const r = interpolate('run ${NOPE} and $ALSO', lookup);
    expect(r.problems.map((p) => [p.kind, p.variable, p.offset, p.length])).toEqual([
      ['unset', 'NOPE', 4, 7],
      ['unset', 'ALSO', 16, 5],
    ]);
  });

  it('reports syntax errors without throwing', () => {
    expect(interpolate('echo ${', lookup).problems[0]).toMatchObject({
      kind: 'syntax',
      offset: 5,
      length: 2,
    });
    expect(interpolate('${1X}', lookup).problems[0]).toMatchObject({ kind: 'syntax', offset: 0, length: 5 });
    expect(interpolate('${A!x}', lookup).problems[0]).toMatchObject({ kind: 'syntax' });
    expect(interpolate('${}', lookup).problems[0]).toMatchObject({ kind: 'syntax' });
  });

  it('supports :? and ? for required variables', () => {
    expect(interpolate('${NOPE:?set the token}', lookup).problems[0]).toMatchObject({
      kind: 'required',
      message: 'needs ${NOPE}: set the token',
    });
    expect(interpolate('${EMPTY?x}', lookup).problems).toEqual([]);
  });
});

describe('parseDuration for the command line', () => {
  it('reads the manifest grammar and plain seconds, undefined otherwise', async () => {
    const { parseDuration: cli } = await import('../../src/manifest/duration.js');
    expect([cli('5s'), cli('10'), cli(' 0.5 '), cli('1m30s'), cli('soon'), cli('-1')]).toEqual([
      5000,
      10_000,
      500,
      90_000,
      undefined,
      undefined,
    ]);
  });
});
