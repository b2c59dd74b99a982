'use strict';

module.exports = (appInfo) => ({
  // Egg signs cookies with these keys; a real app keeps its own out of the repository.
  keys: `${appInfo.name}_sample_keys`,
  // Behind Ferry's gateway: trust X-Forwarded-Host/-Proto for ctx.host and ctx.protocol.
  proxy: true,
  hostHeaders: 'x-forwarded-host', // egg reads no host header by default, even with proxy
});
