// `npm run test:soak`: the long fault scenarios (overload, soak) in test/soak/. Same real
// components as `npm test` (its globalSetup/teardown: a Temporal dev server, a fresh database).
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/soak/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 3_600_000,
};
