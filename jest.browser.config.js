// The dashboard's browser tests: the real API and projector in this process against the embedded servers
// (started by the same globalSetup as npm test), Debian's chromium driven by playwright-core.
const base = require('./jest.config');

const common = { ...base.projects[0] };
delete common.displayName;
delete common.testMatch;

module.exports = {
  ...common,
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  displayName: 'browser',
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  testTimeout: 120_000,
};
