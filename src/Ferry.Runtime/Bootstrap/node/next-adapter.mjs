// Ferry's Next.js adapter (Next's deployment adapter API: NEXT_ADAPTER_PATH, whose modifyConfig Next applies to the
// loaded next.config for every command, `next build` and `next start` alike).
//
// Next.js fixes its base path at build time: it is compiled into the client's JavaScript and every URL Next renders.
// One Ferry function is reached under several prefixes (/{service}/{stage} on the server's address, / of a custom
// domain, a domain's path prefix), and a package may be built once and installed under another service name. So an app
// without a basePath of its own is built and run under a placeholder base path, and Ferry's Next launcher
// (next-launcher.cjs) replaces the placeholder in each response with the prefix that request came through.
//
// Left as they are: an app that sets basePath itself (it then gets its paths under it, as before), and an assetPrefix
// of its own (a CDN).

/** The placeholder base path; next-launcher.cjs knows it too. A path segment no app route plausibly has. */
export const BASE_PATH_PLACEHOLDER = '/__ferry_base_path__';

/** Next's default image optimizer path, with or without the trailing slash trailingSlash: true gives it. */
const DEFAULT_IMAGE_PATH = /^\/_next\/image\/?$/;

export function modifyConfig(config) {
  if (config.basePath) {
    return config;
  }

  // Next derives these two from basePath while it validates the config, which happened before modifyConfig.
  const images = config.images && DEFAULT_IMAGE_PATH.test(config.images.path)
    ? { ...config.images, path: `${BASE_PATH_PLACEHOLDER}${config.images.path}` }
    : config.images;
  return {
    ...config,
    basePath: BASE_PATH_PLACEHOLDER,
    assetPrefix: config.assetPrefix === '' ? BASE_PATH_PLACEHOLDER : config.assetPrefix,
    images,
  };
}

export default { name: 'ferry', modifyConfig };
