import { describe, expect, it } from 'vitest';
import { complete } from '../../src/cli/completion.js';

const names = ['web', 'api', 'ui'];
const asked: Array<string | undefined> = [];
const run = (...words: string[]) =>
  complete({
    words,
    names: async (file) => {
      asked.push(file);
      return names;
    },
  });

describe('complete', () => {
  it('completes --project with the registered projects, and the targets after it from that project', async () => {
    const seen: Array<string | undefined> = [];
    const withProjects = (...words: string[]) =>
      complete({
        words,
        names: async (file) => {
          seen.push(file);
          return file === '/src/ocr/ui-procs.yaml' ? ['inference'] : names;
        },
        projects: async () => [
          { name: 'ocr-ui', manifest: '/src/ocr/ui-procs.yaml' },
          { name: 'blog', manifest: '/src/blog/ui-procs.yaml' },
        ],
      });
    expect(await withProjects('ps', '--project', '')).toEqual(['ocr-ui', 'blog']);
    expect(await withProjects('ps', '--project', 'o')).toEqual(['ocr-ui']);
    expect(await withProjects('down', '--project', 'ocr-ui', '')).toEqual(['inference']);
    expect(seen.at(-1)).toBe('/src/ocr/ui-procs.yaml');
    expect(await withProjects('ls', '--')).not.toContain('--project');
  });

  it('completes commands, hidden ones never, with the typed prefix', async () => {
    expect(await run('')).toContain('down');
    expect(await run('')).not.toContain('__supervise');
    expect(await run('d')).toEqual(['down', 'dashboard']);
    expect(await run('-f', 'x.yaml', 're')).toEqual(['restart']);
  });

  it("completes a command's targets from the manifest, without those already typed", async () => {
    expect(await run('down', '')).toEqual(names);
    expect(await run('down', 'web', '')).toEqual(['api', 'ui']);
    expect(await run('logs', '-f', '')).toEqual(names);
    expect(await run('logs', '-n', '50', 'a')).toEqual(['api']);
  });

  it('completes options per command, and file names (nothing) after one that takes a value', async () => {
    expect(await run('up', '--')).toContain('--dry-run');
    expect(await run('up', '--')).toContain('--file');
    expect(await run('up', '--')).not.toContain('--follow');
    expect(await run('logs', '--f')).toEqual(['--follow', '--file']);
    expect(await run('--')).toEqual([
      '--version',
      '--file',
      '--directory',
      '--project',
      '--no-color',
      '--help',
    ]);
    expect(await run('-f', '')).toEqual([]);
    expect(await run('down', '--timeout', '')).toEqual([]);
  });

  it('passes the manifest named with -f or --file to the names, never -f after logs', async () => {
    asked.length = 0;
    await run('-f', 'a.yaml', 'down', '');
    await run('down', '--file', 'b.yaml', '');
    await run('down', '--file=c.yaml', '');
    await run('logs', '-f', '');
    expect(asked).toEqual(['a.yaml', 'b.yaml', 'c.yaml', undefined]);
  });

  it('completes choices and help topics; nothing for commands without arguments or unknown ones', async () => {
    expect(await run('export', '')).toEqual(['systemd', 'compose', 'make', 'kubernetes']);
    expect(await run('completion', 'z')).toEqual(['zsh']);
    expect(await run('help', 'w')).toEqual(['watch']);
    expect(await run('validate', '')).toEqual([]);
    expect(await run('frobnicate', '')).toEqual([]);
  });
});
