// Four projects: unit (pure logic, no services), workflows (sequencing against the project's own
// Temporal binary, mocked activities), kubernetes (the Kubernetes driver against a real kube-apiserver) and
// integration (the real local platform, started once per run).
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// ESM-only packages are transformed to CommonJS like our own sources.
const transformIgnorePatterns = [
  '/node_modules/(?!(parquet-wasm|apache-arrow|@kubernetes/client-node|@platformatic|kubernetes-models|@kubernetes-models|is-cidr|cidr-regex|openid-client|oauth4webapi|jose)/)',
];
// kubernetes-models and @kubernetes-models/* resolve through their `import` condition (see the resolver).
const resolver = '<rootDir>/jest.resolver.js';

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      resolver,
    },
    {
      displayName: 'workflows',
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      resolver,
    },
    {
      // A real kube-apiserver and etcd of the project's own (dp install --kubernetes), no platform.
      displayName: 'kubernetes',
      testMatch: ['<rootDir>/test/kubernetes/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      resolver,
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      resolver,
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
  ],
  reporters: ['default', '<rootDir>/test/reporters/summary.js'],
  maxWorkers: 1,
  testTimeout: 300000,
};
