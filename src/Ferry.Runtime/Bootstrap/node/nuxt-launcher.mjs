// Starts a Nuxt app built with Nitro's node-server preset for Ferry's nuxt preset:
// `node /opt/ferry/node/nuxt-launcher.mjs [.output/server/index.mjs]`.
//
// One instance is reached through several prefixes: /{service}/{stage} on the server's address, / of a custom domain,
// and a custom domain's path prefix (/shop). The gateway strips the prefix before forwarding and says which it was in
// X-Forwarded-Prefix (none at a domain's /). Nuxt has a single base URL per server, fixed at start
// (NUXT_APP_BASE_URL overrides the build's app.baseURL): Nitro mounts its routes under it and every URL it renders
// (links, /_nuxt/ assets, public/ files, the client's config) starts with it. So the launcher
//  - starts Nuxt under the base /{service}/{stage}/ (FERRY_BASE_PATH), unless the function's environment sets
//    NUXT_APP_BASE_URL itself;
//  - puts the base back in front of each forwarded path;
//  - and when the request came through another prefix, serves the response with that prefix where the base was: in
//    HTML (attributes, the client's config, the devalue payload, whose slashes are written \u002F), in a route's
//    _payload.json and in the Location header. The client then runs with the prefix as its base URL too, so its
//    navigation, fetches and lazy chunks stay under it.
// Nuxt itself cannot take a base per request: the renderer builds asset URLs from a runtime config Nitro freezes at
// start, and Nitro's routes, its error page fetch and its public-asset lookup use the same base. A body the app
// compresses itself, and what its server routes answer (the app's own data), are left as they are.
// A path already under the base at a domain's / (a link rendered before this launcher rewrote responses) is served as
// it is, under the base.
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { takeOverBody } from './response-body.cjs';

const entry = process.argv[2] ?? '.output/server/index.mjs';
const prefix = withoutTrailingSlash(process.env.FERRY_BASE_PATH ?? '');
if (!process.env.NUXT_APP_BASE_URL && prefix) {
  process.env.NUXT_APP_BASE_URL = `${prefix}/`;
}

/** The base Nuxt runs under, without its trailing slash ('' for /). */
const base = withoutTrailingSlash(process.env.NUXT_APP_BASE_URL ?? '/');

function withoutTrailingSlash(value) {
  return value.replace(/\/+$/, '');
}

function underBase(url) {
  return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
}

/** The prefix the client's URL had before the path the gateway forwarded, and the path as Nuxt routes it. */
function route(request) {
  const url = request.url ?? '/';
  const forwarded = request.headers['x-forwarded-prefix'];
  if (typeof forwarded !== 'string' && underBase(url)) {
    return { served: base, url };
  }

  return {
    served: typeof forwarded === 'string' ? withoutTrailingSlash(forwarded) : '',
    url: url.startsWith('/') ? `${base}${url}` : `${base}/${url}`,
  };
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces the base with `served` where a URL path starts with it: the base followed by a slash, or ending a URL (a
 * quote, ? or # next). Both the plain form and devalue's, whose slashes are \u002F.
 */
function baseRewriter(served) {
  const forms = ['/', '\\u002F'].map((slash) => {
    const from = base.replaceAll('/', slash);
    const to = served.replaceAll('/', slash);
    const pattern = new RegExp(`${escapeRegExp(from)}(?:(${escapeRegExp(slash)})|(?=["'?#]))`, 'g');
    return (text) => text.replace(pattern, (_, followedBySlash) => (followedBySlash ? `${to}${slash}` : to || slash));
  });
  return (text) => forms.reduce((result, rewrite) => rewrite(result), text);
}

const rewriters = new Map();

function rewriterFor(served) {
  let rewrite = rewriters.get(served);
  if (!rewrite) {
    // The gateway sends only the prefixes it serves; bounded all the same.
    if (rewriters.size >= 64) {
      rewriters.clear();
    }
    rewrite = baseRewriter(served);
    rewriters.set(served, rewrite);
  }
  return rewrite;
}

function carriesUrls(response, url) {
  if (response.getHeader('content-encoding') || response.statusCode === 204 || response.statusCode === 304) {
    return false;
  }
  const type = String(response.getHeader('content-type') ?? '');
  return type.startsWith('text/html') || /\/_payload\.json(\?|$)/.test(url);
}

/**
 * Makes `response` carry `rewrite`'s prefix instead of the base: Location when the head is written, and a body with
 * URLs (HTML, a payload) is held until it ends, rewritten, and sent with its new length. Other bodies stream as they are.
 */
function rewriteResponse(response, url, rewrite) {
  takeOverBody(response, (original) => {
    const location = response.getHeader('location');
    if (typeof location === 'string') {
      response.setHeader('location', rewrite(location));
    }
    if (!carriesUrls(response, url)) {
      return null;
    }

    const held = [];
    return {
      holdHead: true,
      write: (buffer, callback) => {
        held.push(buffer);
        callback?.();
        return true;
      },
      end: (buffer, callback) => {
        held.push(buffer);
        const body = Buffer.from(rewrite(Buffer.concat(held).toString('utf8')), 'utf8');
        response.setHeader('content-length', body.length);
        original.end(body, callback);
      },
    };
  });
}

if (base !== '') {
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function ferryNuxtBase(event, request, response, ...rest) {
    if (event === 'request') {
      const { served, url } = route(request);
      request.url = url;
      if (served !== base) {
        rewriteResponse(response, url, rewriterFor(served));
      }
    }
    return emit.call(this, event, request, response, ...rest);
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
