/** Jest runs the TypeScript sources as ES modules through ts-jest (transpile only; `tsc` type-checks). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: [
    '<rootDir>/tests/**/*.test.ts',
    '<rootDir>/{shared,backoffice-layer,journey-layer,channel-layer}/**/*.test.ts',
  ],
  globalSetup: '<rootDir>/tests/support/global-setup.js',
  globalTeardown: '<rootDir>/tests/support/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
