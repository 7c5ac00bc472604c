#!/usr/bin/env node
/**
 * Runs the rolldown build of rolldown.config.mjs through rolldown's API, which prints
 * nothing: the `rolldown` command lists every chunk and its size (~100 lines, whatever
 * `--logLevel` says), and `make up` on a fresh clone should show the UIs' URLs, not a
 * build log. Warnings and errors still print: warnings to stderr as they come, and a
 * failed build prints rolldown's own message and exits 1.
 */
import { build } from 'rolldown';
import config from '../rolldown.config.mjs';

try {
  await build(config);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
