/** Did-you-mean for keys from compose/pm2 (issue #20, item 11): only where uiprocs' field exists. */
import { describe, expect, it } from 'vitest';
import { composeConditionHint, foreignKeyHint } from '../../src/manifest/suggest.js';

describe('foreign keys', () => {
  it('maps compose and pm2 keys to uiprocs fields', () => {
    const service = ['command', 'env', 'cwd', 'port', 'restart'];
    expect(foreignKeyHint('environment', service)).toMatch(/"env"/);
    expect(foreignKeyHint('working_dir', service)).toMatch(/"cwd"/);
    expect(foreignKeyHint('ports', service)).toMatch(/"port"/);
    expect(foreignKeyHint('autorestart', service)).toMatch(/restart: always/);
    expect(foreignKeyHint('test', ['http', 'tcp', 'command', 'interval'])).toMatch(/healthcheck.test/);
  });

  it('says nothing where the target field is not allowed, or for an own key like toString', () => {
    expect(foreignKeyHint('environment', ['http', 'tcp'])).toBeUndefined();
    expect(foreignKeyHint('toString', ['toString'])).toBeUndefined();
    expect(composeConditionHint('constructor')).toBeUndefined();
  });

  it("maps compose's depends_on conditions", () => {
    expect(composeConditionHint('service_completed_successfully')).toMatch(/condition: completed/);
    expect(composeConditionHint('service_healthy')).toMatch(/condition: ready/);
    expect(composeConditionHint('service_started')).toMatch(/condition: started/);
  });
});
