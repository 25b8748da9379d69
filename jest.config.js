/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
    ],
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // Each run has a TMPDIR of its own, which must be empty at the end (nothing left in /tmp).
  globalSetup: '<rootDir>/__tests__/support/tmp-setup.mjs',
  globalTeardown: '<rootDir>/__tests__/support/tmp-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2,
};
