/**
 * TAB completion in the real shells: each test sources the script `uiprocs completion SHELL`
 * prints and calls its completion function (bash's `_uiprocs` with COMP_WORDS, zsh's with
 * `words`, fish's through `complete -C`), with `uiprocs` on PATH as a user has it.
 * zsh's `compadd` only works inside its completion system, so there it is a function that
 * prints what it is given; everything else runs as in a terminal. zsh and fish tests
 * are skipped where those shells are not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, e2eProject, trackProjects } from './harness.js';

const track = trackProjects();
const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

/** A project with two services and a group, and `uiprocs` on PATH in its .bin. */
function project(
  manifest = 'services:\n  web: { command: "true", group: ui }\n  api: { command: "true" }\n',
) {
  const p = track(e2eProject());
  p.write(manifest);
  const dir = join(p.dir, '.bin');
  mkdirSync(dir);
  writeFileSync(join(dir, 'uiprocs'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
  chmodSync(join(dir, 'uiprocs'), 0o755);
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, XDG_CACHE_HOME: join(p.dir, '.cache') };
  const shell = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { cwd: p.dir, env, encoding: 'utf8', timeout: 20_000 });
  return { p, shell };
}

function bash(shell: ReturnType<typeof project>['shell'], ...words: string[]) {
  const r = shell('bash', [
    '--norc',
    '-c',
    `source <(uiprocs completion bash); COMP_WORDS=(uiprocs ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _uiprocs; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('completion', () => {
  it('bash: commands, service and group names, options per command', () => {
    const { shell } = project();
    expect(bash(shell, 'd')).toEqual(['down', 'dashboard']);
    expect(bash(shell, 'down', '')).toEqual(['web', 'api', 'ui']);
    expect(bash(shell, 'logs', '-f', 'w')).toEqual(['web']);
    expect(bash(shell, 'up', '--d')).toEqual(['--dry-run', '--down-on-exit', '--directory']);
    expect(bash(shell, 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('bash: a broken manifest completes commands only, silently', () => {
    const { shell } = project('services:\n  web: { command: "true", restart: sometimes }\n');
    expect(bash(shell, 'down', '')).toEqual([]);
    expect(bash(shell, 're')).toEqual(['restart']);
  });

  it('bash: no manifest at all completes commands, and -f FILE names the manifest to read', () => {
    const { p, shell } = project();
    const elsewhere = join(p.dir, 'other');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'x.yaml'), 'version: 1\nservices:\n  solo: { command: "true" }\n');
    expect(bash(shell, '-f', 'other/x.yaml', 'ps', '')).toEqual(['solo']);
    // From a folder with no manifest above it: commands, and no names.
    const bare = mkdtempSync(join(tmpdir(), 'uiprocs-nomanifest-'));
    try {
      const r = shell('bash', [
        '--norc',
        '-c',
        `cd ${bare} && source <(uiprocs completion bash); COMP_WORDS=(uiprocs down ''); COMP_CWORD=2; _uiprocs; echo "\${#COMPREPLY[@]}"; COMP_WORDS=(uiprocs va); COMP_CWORD=1; _uiprocs; echo "\${COMPREPLY[@]}"`,
      ]);
      expect(r.stdout).toBe('0\nvalidate\n');
      expect(r.stderr).toBe('');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it.skipIf(!has('zsh'))('zsh: the completion function offers names, and files after -f', () => {
    const { shell } = project();
    const zsh = (...words: string[]) =>
      shell('zsh', [
        '-f',
        '-c',
        `compdef() {}; compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }; _files() { print '<files>' }
source <(uiprocs completion zsh)
words=(uiprocs ${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length + 1}; _uiprocs`,
      ]).stdout.trim();
    expect(zsh('down', '')).toBe('web\napi\nui');
    expect(zsh('restart', 'a')).toBe('api');
    expect(zsh('-f', '')).toBe('<files>');
  });

  it.skipIf(!has('fish'))('fish: complete -C offers names and commands', () => {
    const { shell } = project();
    const fish = (line: string) =>
      shell('fish', ['--no-config', '-c', `uiprocs completion fish | source; complete -C '${line}'`])
        .stdout.split('\n')
        .map((l) => l.split('\t')[0])
        .filter((l) => l !== '');
    expect(fish('uiprocs down ')).toEqual(expect.arrayContaining(['web', 'api', 'ui']));
    expect(fish('uiprocs resta')).toEqual(['restart']);
  });

  it('__complete never fails: unknown words, a missing manifest, exit 0 and no stderr', () => {
    const { p } = project();
    const out = execFileSync(process.execPath, [bin, '__complete', '--', 'frob', '--x', ''], {
      cwd: join(p.dir, '.bin'),
      encoding: 'utf8',
    });
    expect(out).toBe('');
  });
});
