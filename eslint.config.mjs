import { readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Every top-level folder but domain/ and workflows/: their code may touch Node APIs, I/O and clocks. */
const OUTSIDE_WORKFLOW_SANDBOX = readdirSync(import.meta.dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
  .map((entry) => entry.name)
  .filter((name) => !['domain', 'workflows', 'node_modules'].includes(name));
/** The only packages workflow code may load at run time. */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Node's built-ins by their bare names (`fs`, `fs/promises`); every `node:` name is refused by a pattern,
 * as some (`node:test`, `node:sqlite`) exist only prefixed and are missing from builtinModules. */
const bareBuiltins = builtinModules.filter((name) => !name.startsWith('node:'));
const NODE_BUILTIN_MESSAGE = 'Node built-ins are not available in the workflow sandbox; use an activity.';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.dp/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      // Type information, for the rules that need it (no-floating-promises); the files come from tsconfig.json.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A promise nobody awaits loses its rejection (and, in a workflow, its ordering): await it, or `void` it
      // and handle its rejection where it is made.
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    files: ['bin/*.js', '*.js', 'test/reporters/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: at run time it may load only domain/, workflows/
    // and the workflow SDK. Type-only imports (of activities, drivers) are erased, so they stay allowed.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: bareBuiltins.map((name) => ({ name, message: NODE_BUILTIN_MESSAGE })),
          patterns: [
            { regex: '^node:', message: NODE_BUILTIN_MESSAGE },
            {
              regex: `(^|/)\\.\\./(${OUTSIDE_WORKFLOW_SANDBOX.map(escapeRegExp).join('|')})(/|$)`,
              caseSensitive: true,
              allowTypeImports: true,
              message:
                'Workflows may import only domain/ and workflows/ at run time; use `import type` for activity types.',
            },
            {
              // Any package but the workflow SDK (relative paths and built-ins are left to the rules above).
              regex: `^(?!\\.|/|node:|(${[...WORKFLOW_PACKAGES, ...bareBuiltins].map(escapeRegExp).join('|')})(/|$))`,
              caseSensitive: true,
              allowTypeImports: true,
              message: `Workflows may load only ${WORKFLOW_PACKAGES.join(' and ')} at run time.`,
            },
          ],
        },
      ],
    },
  },
);
