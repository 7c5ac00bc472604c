import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configHash } from '../../src/core/hash.js';
import { projectId } from '../../src/core/identity.js';
import { sha256Hex } from '../../src/core/sha256.js';

const nodeSha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Project ids tag running processes and config hashes sit in run records: a digest that
 * differed from node:crypto's would orphan every service started by an earlier version.
 */
describe('sha256Hex', () => {
  it('equals node:crypto for any string, unicode included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        expect(sha256Hex(text)).toBe(nodeSha(text));
      }),
      { numRuns: 300 },
    );
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('keeps project ids and config hashes what earlier versions wrote', () => {
    expect(projectId('demo', '/home/me/app/.uiprocs')).toBe(
      `demo-${nodeSha('/home/me/app/.uiprocs').slice(0, 8)}`,
    );
    const shape = {
      command: 'node x.js',
      cwd: '/srv',
      env: { B: '2', A: 'ü' },
      port: 8080,
      logPath: '/srv/x.log',
    };
    expect(configHash(shape)).toBe(
      nodeSha(
        '{"command":"node x.js","cwd":"/srv","env":{"A":"ü","B":"2"},"logPath":"/srv/x.log","port":8080}',
      ).slice(0, 16),
    );
  });
});
