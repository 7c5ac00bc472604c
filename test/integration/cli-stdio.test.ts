/**
 * The CLI writes by file descriptor (src/cli/stdio.ts): everything must arrive, in full,
 * whatever the descriptor is, and a reader that went away must end output quietly.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTerminal, writeFd } from '../../src/cli/stdio.js';
import { type TempProject, tempProject } from '../helpers/temp-project.js';
import { transpileForNode } from '../helpers/transpile.js';
import { waitFor } from '../helpers/wait.js';

let project: TempProject | undefined;
afterEach(() => {
  project?.cleanup();
  project = undefined;
});

async function fifo(p: TempProject): Promise<string> {
  const path = join(p.dir, 'fifo');
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path]);
  return path;
}

describe('writeFd', () => {
  it('delivers every byte through a non-blocking pipe that fills up (EAGAIN), to a slow reader', async () => {
    project = tempProject();
    const path = await fifo(project);
    const out = join(project.dir, 'out');
    // Read-write and non-blocking: the open does not wait for a reader, and a full pipe
    // answers EAGAIN, as a descriptor shared with a Node parent does.
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    const reader = spawn('sh', ['-c', `sleep 0.2; exec cat "${path}" > "${out}"`], { stdio: 'ignore' });
    project.track(reader.pid!);
    const exited = new Promise((resolve) => reader.once('exit', resolve));
    const text = 'x'.repeat(1023).concat('\n').repeat(1024); // 1 MiB, 16 pipe buffers
    writeFd(fd, text);
    closeSync(fd);
    await exited;
    expect(statSync(out).size).toBe(text.length);
    expect(readFileSync(out, 'utf8')).toBe(text);
  });

  it('ends quietly when the reader has gone (EPIPE), instead of throwing', async () => {
    project = tempProject();
    const path = await fifo(project);
    const readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(path, constants.O_WRONLY);
    closeSync(readEnd);
    expect(() => writeFd(writeEnd, 'nobody reads this\n')).not.toThrow();
    closeSync(writeEnd);
  });
});

describe('isTerminal', () => {
  it('is false for a pipe, a file and /dev/null, without asking tty', async () => {
    project = tempProject();
    const path = await fifo(project);
    const pipe = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    const file = openSync(join(project.dir, 'file'), 'w');
    const devNull = openSync('/dev/null', 'w');
    try {
      expect([isTerminal(pipe), isTerminal(file), isTerminal(devNull)]).toEqual([false, false, false]);
      expect(isTerminal(9999)).toBe(false);
    } finally {
      for (const fd of [pipe, file, devNull]) closeSync(fd);
    }
  });

  it('is true for a pseudo-terminal', async () => {
    project = tempProject();
    const out = join(project.dir, 'answer');
    // util-linux `script` gives the child a pty on stdin/stdout/stderr.
    const built = transpileForNode(['src/cli']);
    try {
      const module = join(built.dir, 'src/cli/stdio.js');
      const code = `import('${module}').then((m) => require('node:fs').writeFileSync('${out}', String(m.isTerminal(1))))`;
      const child = spawn('script', ['-qfec', `${process.execPath} -e "${code}"`, '/dev/null'], {
        stdio: 'ignore',
      });
      project.track(child.pid!);
      await new Promise((resolve) => child.once('exit', resolve));
    } finally {
      built.cleanup();
    }
    await waitFor(() => statSync(out, { throwIfNoEntry: false }) !== undefined, { what: 'the answer' });
    expect(readFileSync(out, 'utf8')).toBe('true');
  });
});
