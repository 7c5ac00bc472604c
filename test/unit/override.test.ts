import { describe, expect, it } from 'vitest';
import { flatLocator } from '../../src/manifest/locate.js';
import { layerOf, mergeOver, overridePathFor } from '../../src/manifest/override.js';

describe('mergeOver (compose override rules)', () => {
  it('merges maps key by key, replaces lists and scalars, removes with null, changes neither input', () => {
    const base = { services: { web: { command: ['a', 'b'], env: { A: '1', B: '2' }, port: 1 } } };
    const over = {
      services: { web: { command: ['c'], env: { B: '3', C: null }, port: null }, api: { command: 'x' } },
    };
    expect(mergeOver(base, over)).toEqual({
      services: { web: { command: ['c'], env: { A: '1', B: '3' } }, api: { command: 'x' } },
    });
    expect(base.services.web.port).toBe(1);
  });

  it('a map over a scalar, or a scalar over a map, replaces', () => {
    expect(mergeOver({ ready: 'tcp' }, { ready: { http: '/' } })).toEqual({ ready: { http: '/' } });
    expect(mergeOver({ ready: { http: '/' } }, { ready: 'tcp' })).toEqual({ ready: 'tcp' });
  });
});

describe('layerOf', () => {
  const layers = [
    { data: { services: { web: { port: 1, command: ['a', 'b', 'c'] } } }, locator: flatLocator('base') },
    { data: { services: { web: { command: ['x'] }, api: {} } }, locator: flatLocator('over') },
  ];
  it('is the last layer that reaches deepest into the path', () => {
    expect(layerOf(layers, ['services', 'web', 'port'])).toBe(0);
    expect(layerOf(layers, ['services', 'web', 'command', 0])).toBe(1);
    expect(layerOf(layers, ['services', 'api', 'command'])).toBe(1);
    expect(layerOf(layers, ['services', 'web'])).toBe(1);
  });
});

describe('overridePathFor', () => {
  it('is beside a ui-procs.yaml or .yml only', () => {
    expect(overridePathFor('/p/ui-procs.yaml')).toBe('/p/ui-procs.override.yaml');
    expect(overridePathFor('/p/ui-procs.yml')).toBe('/p/ui-procs.override.yaml');
    expect(overridePathFor('/p/other.yaml')).toBeUndefined();
    expect(overridePathFor('/p/package.json')).toBeUndefined();
  });
});
