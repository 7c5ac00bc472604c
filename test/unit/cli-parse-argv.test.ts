import { describe, expect, it } from 'vitest';
import { COMMANDS, commonOptions } from '../../src/cli/command-table.js';
import { commandHelp, programHelp } from '../../src/cli/help.js';
import { type Parsed, parseArgv } from '../../src/cli/parse-argv.js';

function run(args: string[]): Extract<Parsed, { kind: 'run' }> {
  const parsed = parseArgv(args);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed;
}

function usage(args: string[]): string {
  const parsed = parseArgv(args);
  if (parsed.kind !== 'usage') throw new Error(`expected a usage error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

describe('parseArgv: commands and their options', () => {
  it('takes targets anywhere among the options, and camel-cases option names', () => {
    const r = run(['up', 'web', '--dry-run', 'api', '--remove-orphans']);
    expect(r.command.name).toBe('up');
    expect(r.targets).toEqual(['web', 'api']);
    expect(r.options).toMatchObject({ dryRun: true, removeOrphans: true, watch: undefined });
  });

  it('leaves options not given undefined (the command decides their defaults) and --no-x flags true unless given', () => {
    const none = { timestamps: undefined, since: undefined, until: undefined, json: undefined };
    expect(run(['logs']).options).toEqual({ follow: undefined, tail: undefined, prefix: true, ...none });
    expect(run(['logs', '-n', '5', '--no-prefix', '-f', '-t', '--since', '10m']).options).toEqual({
      ...none,
      follow: true,
      tail: '5',
      prefix: false,
      timestamps: true,
      since: '10m',
    });
    expect(run(['logs', '--tail=all']).options.tail).toBe('all');
    expect(run(['down', '-t5s']).options.timeout).toBe('5s');
  });

  it('reads --file before the command or after it; after wins', () => {
    expect(run(['-f', 'a.yaml', 'ps']).file).toBe('a.yaml');
    expect(run(['ps', '--file', 'b.yaml']).file).toBe('b.yaml');
    expect(run(['--file=a.yaml', 'ps', '-f', 'b.yaml']).file).toBe('b.yaml');
    expect(run(['ps']).file).toBeUndefined();
  });

  it('reads several --file in one place as the manifest and the files merged over it, in order', () => {
    const before = run(['-f', 'a.yaml', '-f', 'b.yaml', '-f', 'c.yaml', 'ps']);
    expect([before.file, before.overrides]).toEqual(['a.yaml', ['b.yaml', 'c.yaml']]);
    const after = run(['-f', 'x.yaml', 'up', '--file', 'a.yaml', '-f', 'b.yaml']);
    expect([after.file, after.overrides]).toEqual(['a.yaml', ['b.yaml']]);
    expect(run(['ps']).overrides).toEqual([]);
  });

  it('reads -C and --project before the command or after it; refuses --project with --file and on ls', () => {
    expect(run(['-C', '../a', 'ps'])).toMatchObject({ directory: '../a', file: undefined });
    expect(run(['down', 'web', '--project', 'ocr'])).toMatchObject({ project: 'ocr', targets: ['web'] });
    expect(run(['--project', 'x', 'ps', '--project', 'y']).project).toBe('y');
    expect(usage(['ps', '--project', 'x', '-f', 'a.yaml'])).toContain(
      '--project and --file both name the manifest',
    );
    expect(usage(['-C', 'x', 'ls'])).toContain('ls is about no one project');
    expect(usage(['ls', '--project', 'x'])).toContain("unknown option '--project'");
  });

  it('`logs -f` is --follow, never --file: the word after it stays a target', () => {
    const r = run(['logs', '-f', 'web']);
    expect(r.options.follow).toBe(true);
    expect(r.targets).toEqual(['web']);
    expect(r.file).toBeUndefined();
    expect(run(['-f', 'x.yaml', 'logs', '-f']).file).toBe('x.yaml');
  });

  it('--no-color anywhere turns colour off', () => {
    expect(run(['ps']).color).toBe(true);
    expect(run(['--no-color', 'ps']).color).toBe(false);
    expect(run(['ps', '--no-color']).color).toBe(false);
  });

  it('export takes exactly one format from its choices', () => {
    expect(run(['export', 'compose', '-o', 'c.yaml']).targets).toEqual(['compose']);
    expect(
      run(['export', 'kubernetes', '--namespace', 'ocr', '--ingress', 'example.org']).options,
    ).toMatchObject({
      namespace: 'ocr',
      ingress: 'example.org',
    });
    expect(usage(['export'])).toBe("'export' needs a format: one of systemd, compose, make, kubernetes");
    expect(usage(['export', 'helm'])).toBe(
      "unknown format 'helm': expected one of systemd, compose, make, kubernetes",
    );
    expect(usage(['export', 'kubernets'])).toMatch(/did you mean kubernetes\?/);
    expect(usage(['export', 'compse'])).toMatch(/did you mean compose\?/);
    expect(usage(['export', 'make', 'compose'])).toBe("'export' takes one format (got 'make', 'compose')");
  });

  it('after --, words that look like options are targets', () => {
    expect(run(['ps', '--', '--weird']).targets).toEqual(['--weird']);
  });
});

describe('parseArgv: help, version and usage errors', () => {
  it('help and version, before or after the command', () => {
    expect(parseArgv(['--version'])).toEqual({ kind: 'version' });
    expect(parseArgv(['-V'])).toEqual({ kind: 'version' });
    expect(parseArgv(['--help'])).toEqual({ kind: 'help', command: undefined });
    expect(parseArgv(['help'])).toEqual({ kind: 'help', command: undefined });
    for (const args of [
      ['ps', '--help'],
      ['ps', '-h'],
      ['help', 'ps'],
      ['ps', 'web', '--bogus', '-h'],
    ]) {
      const parsed = parseArgv(args);
      // An unknown option before -h is reported first: help is not a way around a typo.
      if (args.includes('--bogus')) expect(parsed.kind).toBe('usage');
      else expect(parsed).toMatchObject({ kind: 'help', command: { name: 'ps' } });
    }
  });

  it('no command is a usage error that shows the help', () => {
    expect(parseArgv([])).toMatchObject({ kind: 'usage', message: 'no command given', showHelp: true });
    expect(parseArgv(['-f', 'x.yaml'])).toMatchObject({ kind: 'usage', showHelp: true });
  });

  it('an unknown command, with a near miss suggested', () => {
    expect(usage(['frobnicate'])).toBe("unknown command 'frobnicate'");
    expect(usage(['valdate'])).toBe("unknown command 'valdate' (did you mean validate?)");
    expect(usage(['help', 'nosuch'])).toBe("no help for 'nosuch': there is no such command");
  });

  it('an unknown option names it as typed, with a near miss among the command’s own', () => {
    expect(usage(['ps', '--frob'])).toBe("unknown option '--frob'");
    expect(usage(['ps', '--jsn'])).toBe("unknown option '--jsn' (did you mean --json?)");
    expect(usage(['ps', '-x'])).toBe("unknown option '-x'");
    // A command's option before the command is not a program option.
    expect(usage(['--json', 'ps'])).toBe("unknown option '--json'");
    // And another command's option is not this one's.
    expect(usage(['ps', '--dry-run'])).toBe("unknown option '--dry-run'");
  });

  it('a value-taking option without its value, and a flag given one', () => {
    expect(usage(['down', '-t'])).toBe("option '-t, --timeout <duration>' needs a value");
    // The next word looks like an option: a forgotten value, not a timeout called "--json".
    expect(usage(['down', '-t', '--json'])).toBe("option '-t, --timeout <duration>' needs a value");
    expect(usage(['ps', '-f'])).toBe("option '-f, --file <path>' needs a value");
    expect(usage(['ps', '--json=yes'])).toBe("option '--json' takes no value");
    // An explicit empty value is a value; the command judges it (down: not a duration).
    expect(run(['down', '--timeout=']).options.timeout).toBe('');
  });

  it('commands without arguments refuse them', () => {
    expect(usage(['config', 'extra'])).toBe("'config' takes no arguments (got 'extra')");
    expect(usage(['validate', 'a', 'b'])).toBe("'validate' takes no arguments (got 'a', 'b')");
  });
});

describe('help text', () => {
  it('lists every command and every option the parser accepts', () => {
    const top = programHelp();
    for (const c of COMMANDS) if (!c.hidden) expect(top).toContain(`  ${c.name}`);
    for (const flag of ['-V, --version', '-f, --file <path>', '--no-color', '-h, --help'])
      expect(top).toContain(flag);
    for (const c of COMMANDS) {
      const text = commandHelp(c);
      expect(text).toContain(`Usage: uiprocs ${c.name} [options]`);
      for (const o of [...c.options, ...commonOptions(c)]) {
        expect(text).toContain(`--${o.long}`);
        // Every option the help names parses (those that take a value, with one).
        if (o.long === 'help') continue;
        const args = [c.name, `--${o.long}`, ...(o.value ? ['x'] : [])];
        if (c.argument.kind === 'one-of') args.push(c.argument.choices[0]!);
        expect(parseArgv(args).kind, `${c.name} --${o.long}`).toBe('run');
      }
    }
  });

  it('export lists every format and the kubernetes options', () => {
    const text = commandHelp(COMMANDS.find((c) => c.name === 'export')!);
    expect(text).toContain('format  what to write: systemd, compose, make, kubernetes');
    expect(text).toContain('--namespace <ns>');
    expect(text).toContain('--ingress <host>');
  });

  it('wraps descriptions to the width it is given', () => {
    for (const width of [60, 80, 120]) {
      const lines = programHelp(width).split('\n');
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(Math.max(width, 60));
    }
  });
});
