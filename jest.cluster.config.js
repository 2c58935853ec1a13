// `npm run test:cluster`: Hookferry in its production topology (test/cluster/): the real Temporal
// server (deploy/temporal/, built from Go modules, on the local PostgreSQL), two API processes and
// two worker processes. The suite starts what it needs, with databases and ports of its own, so
// there is no globalSetup. Part of .ci/run, after `npm test`.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 900_000,
};
