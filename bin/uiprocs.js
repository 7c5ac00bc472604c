#!/usr/bin/env node
// Loading the CLI opens its module files many at a time; with a tiny open-file limit
// (`ulimit -n`) that fails before main.js's error boundary exists, so it is named here.
import('../dist/cli/main.js').catch((error) => {
  const code = error?.code;
  process.stderr.write(
    code === 'EMFILE' || code === 'ENFILE'
      ? `uiprocs: too many open files (${code}) while loading ${error.path ?? 'the CLI'}; raise the limit (ulimit -n) and try again\n`
      : `uiprocs: cannot load the CLI: ${error?.stack ?? error}\n`,
  );
  process.exitCode = 1;
});
