'use strict';

module.exports = (appInfo) => ({
  // Egg signs cookies with these keys: replace them, and keep real ones out of the repository.
  keys: `${appInfo.name}_change_me`,
  // Behind Ferry's gateway: ctx.host and ctx.protocol come from X-Forwarded-Host/-Proto.
  proxy: true,
  hostHeaders: 'x-forwarded-host', // egg reads no host header by default, even with proxy
});
