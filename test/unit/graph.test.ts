import { describe, expect, it } from 'vitest';
import { topoLevels } from '../../src/core/graph.js';

const from = (g: Record<string, string[]>) => (n: string) => g[n] ?? [];

describe('topoLevels', () => {
  it('puts independent nodes in level 0, keeping input order', () => {
    expect(topoLevels(['b', 'a', 'c'], from({}))).toEqual({ levels: [['b', 'a', 'c']] });
  });

  it('orders a chain and a diamond by levels', () => {
    expect(topoLevels(['web', 'api', 'db'], from({ web: ['api'], api: ['db'] }))).toEqual({
      levels: [['db'], ['api'], ['web']],
    });
    expect(
      topoLevels(['top', 'l', 'r', 'base'], from({ top: ['l', 'r'], l: ['base'], r: ['base'] })),
    ).toEqual({ levels: [['base'], ['l', 'r'], ['top']] });
  });

  it('ignores dependencies on unknown nodes', () => {
    expect(topoLevels(['a'], from({ a: ['ghost'] }))).toEqual({ levels: [['a']] });
  });

  it('finds a self loop, a 2-cycle and a 3-cycle as closed paths', () => {
    expect(topoLevels(['a'], from({ a: ['a'] }))).toEqual({ cycle: ['a', 'a'] });
    expect(topoLevels(['a', 'b'], from({ a: ['b'], b: ['a'] }))).toEqual({ cycle: ['a', 'b', 'a'] });
    expect(topoLevels(['x', 'c', 'b', 'a'], from({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual({
      cycle: ['c', 'a', 'b', 'c'],
    });
  });

  it('reports the cycle, not the tail that leads into it', () => {
    expect(topoLevels(['web', 'a', 'b'], from({ web: ['a'], a: ['b'], b: ['a'] }))).toEqual({
      cycle: ['a', 'b', 'a'],
    });
  });

  it('handles a long chain without recursion limits', () => {
    const n = 5000;
    const nodes = Array.from({ length: n }, (_, i) => `s${i}`);
    const r = topoLevels(nodes, (x) => (x === 's0' ? [] : [`s${Number(x.slice(1)) - 1}`]));
    expect('levels' in r && r.levels.length).toBe(n);
  });
});
