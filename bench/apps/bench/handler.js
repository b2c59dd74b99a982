'use strict';
exports.handle = async () => ({ ok: true });
// A request that waits on something else (a database, an API) for 200 ms: a burst of these needs many instances.
exports.wait = async () => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { ok: true };
};
