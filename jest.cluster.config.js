import base from './jest.config.js';

/**
 * `npm run test:cluster`: the consistency tests (C6, F1, F2) and the Lua-by-SHA test against a Redis
 * Cluster of three local masters that the global set-up starts (tests/support/global-setup-cluster.js) —
 * every hub key, script and queue of these tests lives on the cluster.
 */
export default {
  ...base,
  testMatch: [
    '<rootDir>/tests/channel/consistency.test.ts',
    '<rootDir>/tests/backoffice/events/faults.test.ts',
    '<rootDir>/tests/shared/redis.test.ts',
  ],
  globalSetup: '<rootDir>/tests/support/global-setup-cluster.js',
};
