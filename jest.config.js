// Tests live beside each other by component (test/<folder> mirrors the source folders); the file's suffix says
// what it needs, and so which project runs it:
//   *.test.ts              unit: pure logic, no services
//   *.workflow.test.ts     workflow sequencing against the project's own Temporal binary, mocked activities
//   *.apiserver.test.ts    a real kube-apiserver and etcd of the project's own (dp install --kubernetes)
//   *.integration.test.ts  the real local platform, started once per run
//   *.cluster.test.ts      a real single-node Kubernetes cluster (dp cluster up), one per file, minutes each
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// ESM-only packages are transformed to CommonJS like our own sources.
const transformIgnorePatterns = [
  '/node_modules/(?!(parquet-wasm|apache-arrow|@kubernetes/client-node|@platformatic|kubernetes-models|@kubernetes-models|is-cidr|cidr-regex|openid-client|oauth4webapi|jose)/)',
];
// kubernetes-models and @kubernetes-models/* resolve through their `import` condition (see the resolver).
const resolver = '<rootDir>/jest.resolver.js';
const common = { transform, transformIgnorePatterns, resolver };
const KINDS = ['workflow', 'apiserver', 'integration', 'cluster'];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...KINDS.map((kind) => `\\.${kind}\\.test\\.ts$`)],
    },
    { ...common, displayName: 'workflows', testMatch: ['<rootDir>/test/**/*.workflow.test.ts'] },
    { ...common, displayName: 'kubernetes', testMatch: ['<rootDir>/test/**/*.apiserver.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.integration.test.ts'],
      globalSetup: '<rootDir>/test/support/platform/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/platform/global-teardown.ts',
    },
    // Serial like every project (maxWorkers 1); its hooks and tests set their own long timeouts.
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.cluster.test.ts'] },
  ],
  reporters: ['default', '<rootDir>/test/reporters/summary.js'],
  maxWorkers: 1,
  testTimeout: 300000,
};
