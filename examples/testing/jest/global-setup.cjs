const { openTestRun, RUN_DIR_ENV } = require("clawhost/testing");

// Runs in jest's parent process before the workers start: they inherit the run dir.
module.exports = async () => {
  const run = openTestRun("");
  process.env[RUN_DIR_ENV] = run.dir;
  globalThis.__clawhostRun = run;
};
