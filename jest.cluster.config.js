// `npm run test:cluster`: Hookferry on the real Temporal server (deploy/temporal/, built from Go
// modules, on the local PostgreSQL) in test/cluster/. Each file starts the server it needs, with
// databases and ports of its own, so there is no globalSetup.
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
