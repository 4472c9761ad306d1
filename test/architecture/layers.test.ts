// The layering of the TypeScript sources: imports point only down (README: cli, worker > workflows >
// activities > platform > clients, infra > domain, lib). Every import and re-export of every tracked .ts file is
// read with the TypeScript parser and checked against the ranks below.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const repo = path.resolve(__dirname, '../..');

/** A layer may import its own folder and lower ranks; test/, bench/ and chaos/ are outside the layering. */
const RANK: Record<string, number> = {
  lib: 0,
  domain: 0,
  infra: 1,
  clients: 1,
  platform: 2,
  activities: 3,
  workflows: 4,
  worker: 5,
  cli: 5,
};
const UNLAYERED = new Set(['test', 'bench', 'chaos']);
/** Imports across layers of one rank that are part of the design. */
const SIDEWAYS_ALLOWED = new Set(['cli->worker']); // `dp worker` runs the worker in its own process
/** Packages that domain/ (always) and workflows/ (at run time) may load: they run in the workflow sandbox. */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];
/** What workflows/ may load at run time; anything else (activities' types, drivers' types) only as `import type`. */
const WORKFLOW_RUNTIME_LAYERS = new Set(['domain', 'workflows']);

/**
 * Imports that break the layering today, each with why it is still there. The list may only shrink: the test
 * fails for an entry that no longer matches a violation, so delete the entry with the fix.
 */
const KNOWN_VIOLATIONS: { from: string; specifier: string; reason: string }[] = [];

interface Import {
  from: string; // the importing file, relative to the repo
  specifier: string;
  typeOnly: boolean;
}

function trackedTypeScript(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--', '*.ts'], { cwd: repo, encoding: 'utf8' });
  return out.split('\0').filter((file) => file && fs.existsSync(path.join(repo, file)));
}

/** Every module a file names: static imports and re-exports, `import x = require()`, require() and import(). */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(
    file,
    fs.readFileSync(path.join(repo, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  const found: Import[] = [];
  const add = (node: ts.Node | undefined, typeOnly: boolean) => {
    if (node && ts.isStringLiteralLike(node)) found.push({ from: file, specifier: node.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      // `import { type A, type B }` is erased like `import type { A, B }`; `import './x'` is a value import.
      const allTypes =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!bindings &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier, allTypes);
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const allTypes =
        node.isTypeOnly ||
        (!!clause &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((element) => element.isTypeOnly));
      add(node.moduleSpecifier, allTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(argument.literal, true);
    } else if (ts.isCallExpression(node)) {
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isRequire || node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const layerOf = (file: string): string => file.split('/')[0];

/** Why `imp` breaks the layering, or undefined when it does not. */
function violation(imp: Import): string | undefined {
  const from = layerOf(imp.from);
  if (UNLAYERED.has(from)) return undefined;
  if (!(from in RANK)) return `${from}/ has no rank in the layering`;
  if (!imp.specifier.startsWith('.')) {
    // Packages and Node built-ins: only the workflow-sandbox layers are restricted.
    const allowedPackage = WORKFLOW_PACKAGES.some(
      (name) => imp.specifier === name || imp.specifier.startsWith(`${name}/`),
    );
    if (from === 'domain' && !allowedPackage) return 'domain/ may load only the workflow SDK';
    if (from === 'workflows' && !imp.typeOnly && !allowedPackage)
      return 'workflows/ may load only the workflow SDK';
    return undefined;
  }
  const target = path
    .relative(repo, path.resolve(repo, path.dirname(imp.from), imp.specifier))
    .split(path.sep)
    .join('/');
  const to = layerOf(target);
  if (target.startsWith('..')) return 'points outside the repository';
  if (to === from) return undefined;
  if (!(to in RANK)) return `${to}/ is not a layer`;
  if (from === 'workflows' && !imp.typeOnly && !WORKFLOW_RUNTIME_LAYERS.has(to))
    return `workflows/ may load only domain/ and workflows/ at run time (use import type)`;
  if (RANK[to] > RANK[from])
    return `${from}/ (rank ${RANK[from]}) imports ${to}/ (rank ${RANK[to]}), a higher layer`;
  if (RANK[to] === RANK[from] && !SIDEWAYS_ALLOWED.has(`${from}->${to}`))
    return `${from}/ imports ${to}/, a layer of the same rank`;
  return undefined;
}

const describeImport = (imp: Import) =>
  `${imp.from} imports '${imp.specifier}'${imp.typeOnly ? ' (type only)' : ''}`;
const sameImport = (imp: Import, known: { from: string; specifier: string }) =>
  imp.from === known.from && imp.specifier === known.specifier;

describe('layers', () => {
  const files = trackedTypeScript();
  const violations = files
    .flatMap(importsOf)
    .map((imp) => ({ imp, why: violation(imp) }))
    .filter((found): found is { imp: Import; why: string } => found.why !== undefined);

  test('the sources are found and parsed', () => {
    expect(files.length).toBeGreaterThan(50);
    const workflowImports = files.filter((file) => file.startsWith('workflows/')).flatMap(importsOf);
    expect(workflowImports.some((imp) => imp.typeOnly && imp.specifier.includes('/activities/'))).toBe(true);
  });

  test('every import points down the layers (or is a known violation)', () => {
    const unexpected = violations
      .filter(({ imp }) => !KNOWN_VIOLATIONS.some((known) => sameImport(imp, known)))
      .map(({ imp, why }) => `${describeImport(imp)}: ${why}`);
    expect(unexpected).toEqual([]);
  });

  test('every known violation still exists (fixed ones are removed from the list)', () => {
    const fixed = KNOWN_VIOLATIONS.filter(
      (known) => !violations.some(({ imp }) => sameImport(imp, known)),
    ).map((known) => `${known.from} imports '${known.specifier}'`);
    expect(fixed).toEqual([]);
  });
});
