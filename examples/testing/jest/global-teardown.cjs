module.exports = async () => {
  await globalThis.__clawhostRun?.close();
};
