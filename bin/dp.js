#!/usr/bin/env node
// The `dp` command. Runs the TypeScript sources directly (tsx), so it works right after `npm ci`.
require('tsx/cjs');
require('../cli/main.ts');
