#!/usr/bin/env node
// The `dp` command. Runs the TypeScript sources directly (tsx), so it works right after `npm ci`.

// The AWS SDK warns on every start that a future release will need a newer Node; it says nothing about now.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'NodeVersionSupportWarning') return;
  emitWarning(warning, ...rest);
};

require('tsx/cjs');
require('../cli/main.ts');
