import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinuxSystem, LISTENING_MAX_AGE_MS, LISTENING_TTL_MS } from '../../src/runtime/linux-system.js';
import { envValue, listenRows, parseStat, pastListening } from '../../src/runtime/proc-text.js';
import { createPsSystem } from '../../src/runtime/ps-system.js';
import { getSystem, isLive, processTable } from '../../src/runtime/system.js';
import { argvOf, freePort, isGone } from '../helpers/procs.js';
import { program, type TempProject, tempProject } from '../helpers/temp-project.js';
import { waitFor } from '../helpers/wait.js';

const linux = createLinuxSystem();
const ps = createPsSystem();
let project: TempProject;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  project?.cleanup();
});

function start(file: string, args: string[], opts: { detached?: boolean } = {}): ChildProcess {
  const child = spawn(file, args, { stdio: 'ignore', detached: opts.detached ?? false });
  children.push(child);
  if (child.pid !== undefined) project.track(child.pid);
  return child;
}

describe('linux System', () => {
  it('parses a comm with spaces and parentheses after the last ")"', async () => {
    project = tempProject();
    // A copied binary named with spaces and parens: the kernel puts that name in field 2.
    const odd = join(project.dir, 'we ird) (x');
    copyFileSync('/bin/sleep', odd);
    const child = start(odd, ['30']);
    const pid = child.pid!;
    const stat = await waitFor(() => {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return text.includes('we ird) (x') ? text : undefined;
    });
    expect(stat).toContain('(we ird) (x)');
    const info = linux.proc(pid)!;
    expect(info.ppid).toBe(process.pid);
    expect(info.state).toMatch(/^[RS]$/);
    expect(info.startTime).toMatch(/^\d+$/);
    expect(linux.cmdline(pid)).toBe(`${odd} 30`);
  });

  it('parseStat reads fields by position after the last ")"', () => {
    const line =
      '4242 (a) b) c) S 7 4242 4242 0 -1 4194560 100 0 0 0 12 3 0 0 20 0 1 0 987654 1000 10 18446744073709551615';
    expect(parseStat(line)).toEqual({
      pid: 4242,
      ppid: 7,
      pgid: 4242,
      sid: 4242,
      state: 'S',
      startTime: '987654',
      // utime 12 + stime 3 (fields 14, 15); rss 10 pages (field 24) of 4 KiB.
      cpuTicks: 15,
      rssBytes: 40_960,
    });
    expect(parseStat(line, 16_384)?.rssBytes).toBe(163_840);
  });

  it('listenRows takes port and inode of LISTEN rows only, from tcp and tcp6 layouts', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4711 1 0000000067b4eb42 100 0 0 10 0',
      '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4712 1 0000000067b4eb42 20 4 30 10 -1',
      '  12: 0100007F:0050 0100007F:C351 06 00000000:00000000 03:00000F5A 00000000     0        0 0 3 0000000000000000',
      ' 123: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect(listenRows(tcp)).toEqual([
      [8080, '4711'],
      [22, '99'],
    ]);
    const tcp6 =
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5150 1 0000000000000000 100 0 0 10 0\n';
    expect(listenRows(tcp6)).toEqual([[8081, '5150']]);
  });

  it('counts a zombie as dead', async () => {
    project = tempProject();
    // A child that exits while its parent (this node process) has not reaped it yet:
    // spawn via sh so the zombie is sh's child and sh is stopped (SIGSTOP) and cannot reap.
    const parent = start('/bin/sh', ['-c', 'sleep 0.05 & kill -STOP $$; wait']);
    const ppid = parent.pid!;
    const zombie = await waitFor(() => processTable(linux).find((p) => p.ppid === ppid && p.state === 'Z'), {
      what: 'a zombie child of the stopped shell',
    });
    expect(linux.proc(zombie.pid)?.state).toBe('Z');
    expect(isLive(linux.proc(zombie.pid))).toBe(false);
    expect(isGone(zombie.pid)).toBe(true);
    expect(linux.environ(zombie.pid)).toBeUndefined();
    process.kill(ppid, 'SIGKILL');
  });

  it('a zombie leader whose other threads still run is alive; one counting only itself is dead', () => {
    project = tempProject();
    // A /proc tree on disk: the kernel cannot be asked to hold a thread group half-exited.
    const stat = (pid: number, state: string, threads: number) =>
      `${pid} (node) ${state} 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 ${threads} 0 5555 1000 10\n`;
    const put = (path: string, text: string) => {
      mkdirSync(join(project.dir, path, '..'), { recursive: true });
      writeFileSync(join(project.dir, path), text);
    };
    // 100: leader exited, two threads counted, one of them still sleeping (holds the socket).
    put('100/stat', stat(100, 'Z', 2));
    put('100/task/100/stat', stat(100, 'Z', 2));
    put('100/task/101/stat', stat(101, 'S', 2));
    // 200: only the zombie leader is left.
    put('200/stat', stat(200, 'Z', 1));
    const fake = createLinuxSystem(project.dir);
    expect(fake.proc(100)?.state).toBe('S');
    expect(isLive(fake.proc(100))).toBe(true);
    expect(fake.proc(200)?.state).toBe('Z');
    expect(isLive(fake.proc(200))).toBe(false);
  });

  it('envValue finds a variable only where an entry starts, first, middle or last', () => {
    const block = (...entries: string[]) => Buffer.from(entries.join('\0'));
    expect(envValue(block('UIPROCS_PROJECT=a', 'X=1'), 'UIPROCS_PROJECT')).toBe('a');
    expect(envValue(block('X=1', 'UIPROCS_PROJECT=b', 'Y=2'), 'UIPROCS_PROJECT')).toBe('b');
    expect(envValue(block('X=1', 'UIPROCS_PROJECT=c'), 'UIPROCS_PROJECT')).toBe('c');
    expect(envValue(block('X=1', 'UIPROCS_PROJECT=', 'Y=2'), 'UIPROCS_PROJECT')).toBe('');
    // Neither a longer name nor a value that contains the text is the variable.
    expect(
      envValue(block('MY_UIPROCS_PROJECT=d', 'NOTE=UIPROCS_PROJECT=e'), 'UIPROCS_PROJECT'),
    ).toBeUndefined();
    expect(envValue(block('NOTE=UIPROCS_PROJECT=e', 'UIPROCS_PROJECT=f'), 'UIPROCS_PROJECT')).toBe('f');
    expect(envValue(block('é=ü', 'UIPROCS_SERVICE=ünï'), 'UIPROCS_SERVICE')).toBe('ünï');
  });

  it('serviceTags reads the tag of a live tagged process, past a 40 KB variable, and nothing from an untagged one', async () => {
    project = tempProject();
    // The tag after a variable bigger than the read buffer: the environment comes in more than one read.
    const tagged = spawn('sleep', ['30'], {
      stdio: 'ignore',
      env: {
        ...process.env,
        BIG: 'x'.repeat(40_000),
        UIPROCS_PROJECT: project.projectId,
        UIPROCS_SERVICE: 'web',
      },
    });
    children.push(tagged);
    project.track(tagged.pid!);
    const plain = start('sleep', ['30']);
    const system = createLinuxSystem();
    const table = processTable(system);
    await waitFor(() => system.proc(tagged.pid!)?.state !== undefined);
    const tags = system.serviceTags?.([tagged.pid!, plain.pid!, ...table.map((p) => p.pid)]);
    expect(tags?.get(tagged.pid!)).toEqual({ project: project.projectId, service: 'web' });
    expect(tags?.has(plain.pid!)).toBe(false);
  });

  it('has a stable boot id and lists this process', () => {
    expect(linux.bootId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(createLinuxSystem().bootId()).toBe(linux.bootId());
    expect(linux.pids()).toContain(process.pid);
    expect(linux.environ(process.pid)?.PATH).toBe(process.env.PATH);
    expect(linux.proc(2 ** 22 + 1)).toBeUndefined();
  });

  it('the kernel table lists a port once it listens; an unreadable table is "unknown", not "none"', async () => {
    project = tempProject();
    const port = await freePort();
    expect(createLinuxSystem().listeningPorts?.()?.has(port)).toBe(false);
    start(process.execPath, [program('serve.mjs'), String(port)]);
    // A fresh System each look: the table is cached for a few ms per System.
    await waitFor(() => createLinuxSystem().listeningPorts?.()?.has(port) === true, {
      timeout: 5000,
      what: 'the port in /proc/net/tcp',
    });
    // Without /proc/net the probe must fall back to connecting, never wait on an empty set.
    expect(createLinuxSystem(project.dir).listeningPorts?.()).toBeUndefined();
  });

  it('listeningAmong: one System sees a port open, and a recreate on the same port is not taken for ready', async () => {
    project = tempProject();
    const port = await freePort();
    const system = createLinuxSystem();
    const isListening = () => system.listeningAmong?.([port])?.has(port);
    expect(isListening()).toBe(false);
    const first = start(process.execPath, [program('serve.mjs'), String(port), '127.0.0.1']);
    await waitFor(() => isListening() === true, { timeout: 5000, what: 'the port listening' });
    first.kill('SIGKILL');
    await waitFor(() => isListening() === false, { timeout: 5000, what: 'the port closed' });
    start(process.execPath, [program('serve.mjs'), String(port), '127.0.0.1']);
    await waitFor(() => isListening() === true, { timeout: 5000, what: 'the port open again' });
  });

  it('listeningAmong never answers "listening" from an earlier read, however little time has passed', async () => {
    project = tempProject();
    const port = await freePort();
    // The System's clock stands still: to its cache, every earlier read is of this instant.
    const system = createLinuxSystem('/proc', () => 0);
    const server = start(process.execPath, [program('serve.mjs'), String(port), '127.0.0.1']);
    await waitFor(() => createLinuxSystem().listeningPorts?.()?.has(port) === true, {
      timeout: 5000,
      what: 'the server listening',
    });
    expect(system.listeningAmong?.([port])).toEqual(new Set([port]));
    server.kill('SIGKILL');
    await waitFor(() => isGone(server.pid!) && createLinuxSystem().listeningPorts?.()?.has(port) === false, {
      timeout: 5000,
      what: 'the old server gone and its port closed',
    });
    // A read made before the question may show the old server's socket: never reused for a "yes".
    expect(system.listeningAmong?.([port])).toEqual(new Set());
  });

  it('listeningAmong reads the socket table again only when the socket counters moved, or after the max age', () => {
    project = tempProject();
    const row = (port: number, inode: number) =>
      `   0: 0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
    const header =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const put = (path: string, text: string) => {
      mkdirSync(join(project.dir, path, '..'), { recursive: true });
      writeFileSync(join(project.dir, path), text);
    };
    const counters = (v4: number) => {
      put('net/sockstat', `sockets: used 9\nTCP: inuse ${v4} orphan 0 tw 0 alloc ${v4} mem 0\n`);
      put('net/sockstat6', 'TCP6: inuse 0\nUDP6: inuse 0\n');
    };
    put('net/tcp', header + row(1000, 11));
    put('net/tcp6', header);
    counters(1);
    let now = 0;
    const system = createLinuxSystem(project.dir, () => now);
    const isListening = (port: number) => system.listeningAmong?.([port])?.has(port);
    expect(isListening(2000)).toBe(false);
    // The table changes behind the counters' back: a "no" holds until the max age…
    put('net/tcp', header + row(1000, 11) + row(2000, 22));
    now += LISTENING_TTL_MS * 3;
    expect(isListening(2000)).toBe(false);
    now = LISTENING_MAX_AGE_MS;
    expect(isListening(2000)).toBe(true);
    // … and a moved counter makes the next look read the table at once.
    put('net/tcp', header + row(1000, 11) + row(2000, 22) + row(3000, 33));
    counters(3);
    now += LISTENING_TTL_MS;
    expect(isListening(3000)).toBe(true);
    // A "yes" is never served from an old read, not even one of this instant: the port
    // closed and another socket opened (counters unchanged).
    put('net/tcp', header + row(1000, 11) + row(2000, 22) + row(4000, 44));
    expect(isListening(3000)).toBe(false);
    // One call answers for many ports, and a "no" for all of them holds as one for one port
    // does (5000 opened behind the counters' back).
    expect(system.listeningAmong?.([1000, 3000, 4000, 5000])).toEqual(new Set([1000, 4000]));
    put('net/tcp', header + row(1000, 11) + row(2000, 22) + row(4000, 44) + row(5000, 55));
    expect(system.listeningAmong?.([3000, 5000])).toEqual(new Set());
    now += LISTENING_MAX_AGE_MS;
    expect(system.listeningAmong?.([3000, 5000])).toEqual(new Set([5000]));
  });

  it('reads the whole socket table, not the first page of it: 200 listeners are all seen', async () => {
    const { createServer } = await import('node:net');
    const servers = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<import('node:net').Server>((resolve, reject) => {
            const server = createServer();
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    try {
      const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
      // One line per socket, ~150 bytes: 200 of them are several pages of /proc/net/tcp.
      const table = createLinuxSystem().listeningPorts?.();
      expect(ports.filter((p) => !table?.has(p))).toEqual([]);
      expect(linux.portOwners(ports.at(-1)!).map((o) => o.pid)).toEqual([process.pid]);
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('reads LISTEN rows only as far as they go: listeners opened before and after 60 connections are all seen', async () => {
    const { createServer, connect } = await import('node:net');
    const listen = () =>
      new Promise<import('node:net').Server>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    const portOf = (s: import('node:net').Server) => (s.address() as import('node:net').AddressInfo).port;
    const before = await listen();
    // Connected sockets on both ends: rows in states other than LISTEN, more than a page of them.
    const clients = await Promise.all(
      Array.from(
        { length: 60 },
        () =>
          new Promise<import('node:net').Socket>((resolve, reject) => {
            const socket = connect(portOf(before), '127.0.0.1', () => resolve(socket));
            socket.once('error', reject);
          }),
      ),
    );
    const after = await listen();
    try {
      const table = createLinuxSystem().listeningPorts?.();
      expect([table?.has(portOf(before)), table?.has(portOf(after))]).toEqual([true, true]);
      // The connections' own ports are not listening.
      const clientPort = (clients[0]!.address() as import('node:net').AddressInfo).port;
      expect(table?.has(clientPort)).toBe(false);
    } finally {
      for (const c of clients) c.destroy();
      await Promise.all([before, after].map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('sees an IPv6-only listener, and skips a table whose family has no socket at all', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    try {
      if (bound) {
        const port = (server.address() as import('node:net').AddressInfo).port;
        expect(createLinuxSystem().listeningPorts?.()?.has(port)).toBe(true);
        expect(createLinuxSystem().listeningAmong?.([port])?.has(port)).toBe(true);
      }
    } finally {
      if (bound) await new Promise((r) => server.close(r));
    }
    // A fake /proc whose tcp6 lists a listener that sockstat6 says cannot exist: not read.
    project = tempProject();
    const row =
      '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0\n';
    const put = (path: string, text: string) => {
      mkdirSync(join(project.dir, path, '..'), { recursive: true });
      writeFileSync(join(project.dir, path), text);
    };
    put('net/tcp', 'header\n');
    put('net/tcp6', `header\n${row}`);
    put('net/sockstat', 'TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n');
    put('net/sockstat6', 'TCP6: inuse 0\n');
    expect(createLinuxSystem(project.dir).listeningPorts?.()?.has(0x1f90)).toBe(false);
    put('net/sockstat6', 'TCP6: inuse 1\n');
    expect(createLinuxSystem(project.dir).listeningPorts?.()?.has(0x1f90)).toBe(true);
  });

  it('pastListening tells a LISTEN-only piece of the socket table from one with other states', () => {
    const header =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const row = (st: string) =>
      `   0: 0100007F:1F90 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 123 1 0000000000000000 100 0 0 10 0\n`;
    expect(pastListening(header)).toBe(false);
    expect(pastListening(header + row('0A') + row('0A'))).toBe(false);
    expect(pastListening(header + row('0A') + row('01'))).toBe(true);
    expect(pastListening(row('06'))).toBe(true);
    expect(pastListening(row('0A'))).toBe(false);
  });

  it('getSystem picks /proc here and ps when forced', () => {
    expect(getSystem({}).kind).toBe('linux');
    expect(getSystem({ UIPROCS_SYSTEM: 'ps' }).kind).toBe('ps');
  });
});

describe('ps fallback agrees with /proc', () => {
  it('same pid, ppid, pgid, sid, state and env tag for a live detached child', async () => {
    project = tempProject();
    const child = spawn('sleep', ['30'], {
      stdio: 'ignore',
      detached: true,
      env: { ...process.env, UIPROCS_PROJECT: project.projectId, UIPROCS_SERVICE: 'web', SPACED: 'a b c' },
    });
    children.push(child);
    const pid = project.track(child.pid!);
    // Exec'd (no longer Node's forked copy) and mapped: an exec in flight has no RSS yet.
    await waitFor(
      () =>
        argvOf(pid)[0] === 'sleep' &&
        (linux.proc(pid)?.rssBytes ?? 0) > 0 &&
        (ps.proc(pid)?.rssBytes ?? 0) > 0,
    );
    const a = linux.proc(pid)!;
    const b = ps.proc(pid)!;
    // State may flip R→S between the two reads; identity fields must agree exactly.
    const identity = ({ pid, ppid, pgid, sid }: typeof a) => ({ pid, ppid, pgid, sid });
    expect(identity(b)).toEqual(identity(a));
    // Both tell usage (a just-exec'd process still faults its pages in, so sizes are not
    // compared here; test/e2e/usage.test.ts compares both with VmRSS on a settled one).
    expect(a.rssBytes).toBeGreaterThan(0);
    expect(b.rssBytes).toBeGreaterThan(0);
    expect(a.cpuTicks).toBeGreaterThanOrEqual(0);
    expect(b.cpuTicks! % 100).toBe(0); // procps prints whole seconds
    expect(isLive(a) && isLive(b)).toBe(true);
    // Start times differ in format (clock ticks vs lstart) but are each stable.
    expect(ps.proc(pid)!.startTime).toBe(b.startTime);
    expect(b.startTime).toMatch(/\d{2}:\d{2}:\d{2}/);
    expect(ps.cmdline(pid)).toBe(linux.cmdline(pid));
    const env = ps.environ(pid)!;
    expect(env.UIPROCS_PROJECT).toBe(project.projectId);
    expect(env.UIPROCS_SERVICE).toBe('web');
    expect(env.SPACED).toBe('a b c');
    expect(ps.pids()).toContain(pid);
    expect(ps.bootId()).toBe(linux.bootId());
    child.kill('SIGKILL');
    await waitFor(() => isGone(pid));
    expect(isLive(ps.proc(pid))).toBe(false);
  });

  it('ps and /proc name the same port owner', async () => {
    project = tempProject();
    const port = await freePort();
    const child = start(process.execPath, [program('serve.mjs'), String(port), '127.0.0.1']);
    await waitFor(() => linux.portOwners(port).length > 0, { what: 'listener' });
    expect(linux.portOwners(port).map((o) => o.pid)).toEqual([child.pid]);
    expect(ps.portOwners(port).map((o) => o.pid)).toEqual([child.pid]);
    expect(ps.portOwners(port)[0]!.command).toContain('serve.mjs');
  });
});
