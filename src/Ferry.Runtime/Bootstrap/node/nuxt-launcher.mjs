// Starts a Nuxt app built with Nitro's node-server preset for Ferry's nuxt preset:
// `node /opt/ferry/node/nuxt-launcher.mjs [.output/server/index.mjs]`.
//
// The gateway serves the app under /{service}/{stage} and strips that prefix before forwarding (X-Forwarded-Prefix
// says what it was). Nuxt fixes its base URL when the server starts (NUXT_APP_BASE_URL overrides the build's
// app.baseURL), and Nitro only answers paths under it. So the launcher sets the base URL to the prefix (unless the
// function's environment sets NUXT_APP_BASE_URL itself) and puts the base back in front of each request's path:
// always when the request came through the prefix, otherwise (a custom domain's /) when the path is not already
// under the base. Pages at a custom domain's / therefore render, and their links and /_nuxt/ assets, which point
// under the base, reach the app on the same host too.
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const entry = process.argv[2] ?? '.output/server/index.mjs';
const prefix = (process.env.FERRY_BASE_PATH ?? '').replace(/\/+$/, '');
if (!process.env.NUXT_APP_BASE_URL && prefix) {
  process.env.NUXT_APP_BASE_URL = `${prefix}/`;
}

/** The base without its trailing slash ('' for /). */
const base = (process.env.NUXT_APP_BASE_URL ?? '/').replace(/\/+$/, '');

function underBase(url) {
  return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
}

function withBase(request) {
  const url = request.url ?? '/';
  const throughPrefix = prefix !== '' && request.headers['x-forwarded-prefix'] === prefix;
  if (throughPrefix || !underBase(url)) {
    request.url = url.startsWith('/') ? `${base}${url}` : `${base}/${url}`;
  }
}

if (base !== '') {
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function ferryNuxtBase(event, request, ...rest) {
    if (event === 'request') {
      withBase(request);
    }
    return emit.call(this, event, request, ...rest);
  };
}

process.env.NITRO_HOST ??= process.env.HOST ?? '127.0.0.1';
const file = path.resolve(process.cwd(), entry);
if (!existsSync(file)) {
  console.error(`ferry nuxt launcher: ${entry} is missing from the package: nuxt build makes it with Nitro's node-server ` +
    'preset (the default); check nitro.preset in nuxt.config and NITRO_PRESET');
  process.exit(1);
}
await import(pathToFileURL(file).href);
