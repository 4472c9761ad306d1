// The workflow-purity lint rule (eslint.config.mjs) run through ESLint's own API on made-up workflow files, so
// a rule that silently matches nothing (as an unsupported glob once did) fails here.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../..');
/** ESLint's import restriction, or typescript-eslint's (which can let type-only imports through). */
const RESTRICTED_IMPORTS = /^(@typescript-eslint\/)?no-restricted-imports$/;

// ESLint loads eslint.config.mjs with import(), which Jest's module sandbox refuses, so the linting runs in a
// plain Node process. The example file does not exist, so TypeScript's project service cannot type it: the
// type-aware rules are switched off for it, while the project's import restrictions apply unchanged.
const LINT_TEXTS = `
const { ESLint } = require('eslint');
const tseslint = require('typescript-eslint');
const [repo, filePath, sources] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3])];
(async () => {
  const eslint = new ESLint({ cwd: repo, overrideConfig: tseslint.configs.disableTypeChecked });
  const results = [];
  for (const code of sources) results.push((await eslint.lintText(code, { filePath }))[0].messages);
  process.stdout.write(JSON.stringify(results));
})().catch((error) => { console.error(error); process.exit(1); });
`;

interface LintMessage {
  ruleId: string | null;
  message: string;
  fatal?: boolean;
}

/** The import-restriction messages ESLint gives each source, linted as workflows/bad-example.ts. */
function restrictedImports(sources: string[]): Map<string, string[]> {
  const codes = sources.map(
    (source) => `${source}\nexport const used = [${importedNames(source).join(', ')}];\n`,
  );
  const filePath = path.join(repo, 'workflows', 'bad-example.ts');
  const output = execFileSync(process.execPath, ['-e', LINT_TEXTS, repo, filePath, JSON.stringify(codes)], {
    cwd: repo,
    encoding: 'utf8',
  });
  const results = JSON.parse(output) as LintMessage[][];
  return new Map(
    sources.map((source, i) => {
      const fatal = results[i].find((message) => message.fatal);
      if (fatal) throw new Error(`ESLint could not parse ${JSON.stringify(source)}: ${fatal.message}`);
      return [
        source,
        results[i]
          .filter((message) => RESTRICTED_IMPORTS.test(message.ruleId ?? ''))
          .map((message) => message.message),
      ];
    }),
  );
}

/** The local names an `import { a, type b, c as d }` binds, so the example has no unused imports. */
function importedNames(source: string): string[] {
  const braces = /\{([^}]*)\}/.exec(source);
  if (!braces) return [];
  return braces[1]
    .split(',')
    .map((name) => name.replace(/^\s*type\s+/, '').trim())
    .filter(Boolean)
    .map((name) => name.split(/\s+as\s+/).pop() as string);
}

const REFUSED = [
  "import { readFileSync } from 'node:fs';",
  "import { readFileSync } from 'fs';",
  "import { readFile } from 'fs/promises';",
  "import { createMonthlyActivities } from '../activities/monthly-yellow-trips';",
  "import { TrinoClient } from '../clients/trino';",
  "import { loadConfig } from '../lib/config';",
  "export { loadConfig } from '../lib/config';",
  "import { parse } from 'yaml';",
  "import { Connection } from '@temporalio/client';",
];
const ALLOWED = [
  "import type { EltActivities, PublishOutcome } from '../activities/monthly-yellow-trips';",
  "import { type EltActivities } from '../activities/monthly-yellow-trips';",
  "import { laggedMonth, monthRange } from '../domain/months';",
  "import { proxyActivities, sleep } from '@temporalio/workflow';",
  "import { defineSearchAttributeKey } from '@temporalio/common';",
  "import { checkedInput } from './monthly-yellow-trips';",
];

describe('workflow purity lint rule', () => {
  let messages: Map<string, string[]>;
  beforeAll(() => {
    messages = restrictedImports([...REFUSED, ...ALLOWED]);
  });

  test.each(REFUSED)('refuses %s', (source) => {
    expect(messages.get(source)).toHaveLength(1);
  });

  test.each(ALLOWED)('allows %s', (source) => {
    expect(messages.get(source)).toEqual([]);
  });
});
