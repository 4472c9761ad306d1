// Prints one plain closing line, "Tests: N passed, N failed", that any CI log reader understands. Under
// `npm test` (test/run.ts), which runs jest twice, it writes the counts to DP_TEST_SUMMARY_FILE instead and
// the runner prints the one line for both runs.
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numFailedTestSuites + results.numRuntimeErrorTestSuites;
    const failed =
      results.numFailedTests + (failedSuites > 0 && results.numFailedTests === 0 ? failedSuites : 0);
    const summaryFile = process.env.DP_TEST_SUMMARY_FILE;
    if (summaryFile) {
      fs.writeFileSync(summaryFile, JSON.stringify({ passed: results.numPassedTests, failed, skipped }));
      return;
    }
    process.stdout.write(
      `\nTests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
    );
  }
}
module.exports = SummaryReporter;
