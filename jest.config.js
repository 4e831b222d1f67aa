// One run, three kinds of suites. Integration and end-to-end suites share the embedded servers
// started once in globalSetup (or real ones when EVENTSTORE_URL / MONGODB_URL are set).
const tsTransform = ['@swc/jest', { swcrc: true }];
// NestJS 12 ships ES modules only; Node 20 loads them through require(esm), jest's runtime does not,
// so those packages are compiled to CommonJS for the test run.
const esmTransform = [
  '@swc/jest',
  {
    swcrc: false,
    jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];
const esmPackages = [
  '@nestjs',
  'uid',
  'file-type',
  'strtok3',
  'token-types',
  'peek-readable',
  '@tokenizer',
  'uint8array-extras',
  'uuid',
];

const common = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': tsTransform, '^.+\\.m?js$': esmTransform },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
    '^@apps/([a-z-]+)$': '<rootDir>/apps/$1/src',
  },
  testEnvironment: 'node',
  // Suites against servers over sockets: a generous ceiling for a loaded 2-core machine, not a target.
  testTimeout: 60_000,
};

module.exports = {
  testTimeout: 60_000,
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
