import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with the failed tests, one plain line each with its first error, then
 * `tests: N passed, N failed, N skipped`. A CI log is often read only by its tail, and
 * vitest's own summary puts the names of the failures far above it.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    const failures: string[] = [];
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') count.passed += 1;
        else if (result.state === 'failed') {
          count.failed += 1;
          const first = result.errors?.[0]?.message?.split('\n')[0] ?? '';
          failures.push(
            `FAILED ${mod.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}: ${first}`,
          );
        } else count.skipped += 1;
      }
      // A file that could not even be collected has no tests to count but must not pass.
      for (const error of mod.errors()) {
        count.failed += 1;
        failures.push(
          `FAILED ${mod.moduleId.replace(`${process.cwd()}/`, '')}: ${error.message.split('\n')[0]}`,
        );
      }
    }
    const list = failures.length > 0 ? `\n${failures.join('\n')}\n` : '';
    process.stdout.write(
      `${list}\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`,
    );
  }
}
