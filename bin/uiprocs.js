#!/usr/bin/env node
// CommonJS (see bin/package.json), like the bundle it loads: on Node 20 the ES module
// loader costs 10–18 ms of every run before any line of uiprocs executes (measured:
// `ps` 109 ms with ESM bin and chunks, 89 ms with CommonJS, against 63 ms for node -e 0).
// The sources stay ES modules; only the built output is CommonJS.
//
// Loading the CLI opens its module files; with a tiny open-file limit (`ulimit -n`) that
// fails before main's error boundary exists, so it is named here.
try {
  require('../dist/cli/main.cjs');
} catch (error) {
  const code = error?.code;
  process.stderr.write(
    code === 'EMFILE' || code === 'ENFILE'
      ? `uiprocs: too many open files (${code}) while loading ${error.path ?? 'the CLI'}; raise the limit (ulimit -n) and try again\n`
      : `uiprocs: cannot load the CLI: ${error?.stack ?? error}\n`,
  );
  process.exitCode = 1;
}
