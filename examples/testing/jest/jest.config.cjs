// clawhost/testing with jest (CommonJS, no transform needed).
// Run: npx jest --config examples/testing/jest/jest.config.cjs
module.exports = {
  rootDir: __dirname,
  testEnvironment: "node",
  testMatch: ["<rootDir>/*.test.cjs"],
  // One run dir for every worker; jest skips globalTeardown on Ctrl-C (jest#6029): the run's janitor removes it then.
  globalSetup: "<rootDir>/global-setup.cjs",
  globalTeardown: "<rootDir>/global-teardown.cjs",
  // A real gateway boots in 8-18 s on 2 cores.
  testTimeout: 180_000,
};
