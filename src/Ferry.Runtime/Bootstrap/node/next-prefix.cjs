'use strict';
// What next-launcher.cjs does to each request and response, apart from starting Next: which prefix a request came
// through, the path Next routes, and the placeholder base path replaced by that prefix in headers and streamed bodies.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { takeOverBody } = require('./response-body.cjs');

/** next-adapter.mjs's BASE_PATH_PLACEHOLDER. */
const PLACEHOLDER = '/__ferry_base_path__';

/** Prefixes the gateway sends: /-separated segments of URL-safe characters. */
const PREFIX = /^(?:\/[A-Za-z0-9._~-]+)*$/;
const MAX_PREFIX = 512;

/** The prefix the client's URL had before the path the gateway forwarded, without a trailing slash ('' for /). */
function forwardedPrefix(request) {
  const value = request.headers['x-forwarded-prefix'];
  if (typeof value !== 'string' || value.length > MAX_PREFIX) {
    return '';
  }
  const prefix = value.replace(/\/+$/, '');
  return PREFIX.test(prefix) ? prefix : '';
}

/** The forwarded path under the placeholder base path, as Next routes it. */
function underPlaceholder(url, trailingSlash) {
  if (url === PLACEHOLDER || url.startsWith(`${PLACEHOLDER}/`) || url.startsWith(`${PLACEHOLDER}?`)) {
    return url;
  }
  if (url === '/' || url.startsWith('/?')) {
    // The app's root: Next redirects "base/" to "base" (and "base" to "base/" with trailingSlash), which would come back
    // here as "/" again.
    return `${PLACEHOLDER}${trailingSlash ? '/' : ''}${url.slice(1)}`;
  }
  return url.startsWith('/') ? `${PLACEHOLDER}${url}` : url;
}

/** The placeholder as it appears inside a URL-encoded URL: next/image's `url` parameter of a statically imported image. */
const ENCODED_PLACEHOLDER = encodeURIComponent(PLACEHOLDER);
const SLASH = 0x2f;

/**
 * Replaces the placeholder in a body as it streams: where a path goes on after it with `prefix`, else with `bare`; and
 * its URL-encoded form with the encoded prefix. A chunk's tail that may begin either (or is the placeholder, whose next
 * byte decides) waits for the next chunk.
 */
class PlaceholderRewriter {
  constructor(prefix, bare) {
    const beforePath = Buffer.from(prefix);
    const other = Buffer.from(bare);
    const encoded = Buffer.from(encodeURIComponent(prefix));
    this.rules = [
      { needle: Buffer.from(PLACEHOLDER), lookahead: true, replace: (next) => (next === SLASH ? beforePath : other) },
      { needle: Buffer.from(ENCODED_PLACEHOLDER), lookahead: false, replace: () => encoded },
    ];
    this.held = null;
  }

  push(chunk) {
    const buffer = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = null;
    const parts = [];
    let from = 0;
    // Where each rule's needle is next: searched again only once passed, so the buffer is scanned once per rule.
    const found = this.rules.map((rule) => buffer.indexOf(rule.needle));
    for (;;) {
      let at = -1;
      let rule = null;
      for (let i = 0; i < this.rules.length; i++) {
        if (found[i] !== -1 && found[i] < from) {
          found[i] = buffer.indexOf(this.rules[i].needle, from);
        }
        if (found[i] !== -1 && (at === -1 || found[i] < at)) {
          at = found[i];
          rule = this.rules[i];
        }
      }
      if (rule === null) {
        break;
      }
      const after = at + rule.needle.length;
      parts.push(buffer.subarray(from, at));
      if (rule.lookahead && after === buffer.length) {
        this.held = Buffer.from(buffer.subarray(at));
        return Buffer.concat(parts);
      }
      parts.push(rule.replace(buffer[after]));
      from = after;
    }

    let keep = 0;
    for (const { needle } of this.rules) {
      for (let length = Math.min(needle.length - 1, buffer.length - from); length > keep; length--) {
        if (buffer.compare(needle, 0, length, buffer.length - length) === 0) {
          keep = length;
          break;
        }
      }
    }
    parts.push(buffer.subarray(from, buffer.length - keep));
    if (keep > 0) {
      this.held = Buffer.from(buffer.subarray(buffer.length - keep));
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  end() {
    const held = this.held;
    this.held = null;
    if (!held) {
      return Buffer.alloc(0);
    }
    const whole = this.rules.find((rule) => rule.lookahead && held.equals(rule.needle));
    return whole ? whole.replace(undefined) : held;
  }
}

/** next/image's optimizer, under the placeholder (with trailingSlash: true, with its slash). */
const IMAGE_OPTIMIZER = new RegExp(`^${PLACEHOLDER}/_next/image/?$`);

/**
 * The `url` of a next/image request as Next finds it under the placeholder. The browser asks with the source the page
 * or its JavaScript gave: a path under the request's prefix (a statically imported image), or a path from the app's
 * root (`src="/logo.png"`, which Next expects to carry the base path but apps write without it). Remote URLs are left
 * to Next's own checks.
 */
function imageSourceUnderPlaceholder(source, prefix) {
  if (!source.startsWith('/') || source.startsWith('//')) {
    return source;
  }
  if (source === PLACEHOLDER || source.startsWith(`${PLACEHOLDER}/`)) {
    return source;
  }
  if (prefix && source.startsWith(`${prefix}/`)) {
    return `${PLACEHOLDER}${source.slice(prefix.length)}`;
  }
  return `${PLACEHOLDER}${source}`;
}

/** The request's path under the placeholder, with next/image's `url` parameter under it too. */
function routeUnderPlaceholder(url, prefix, trailingSlash) {
  const routed = underPlaceholder(url, trailingSlash);
  const query = routed.indexOf('?');
  if (query === -1 || !IMAGE_OPTIMIZER.test(routed.slice(0, query))) {
    return routed;
  }
  const parameters = new URLSearchParams(routed.slice(query + 1));
  const source = parameters.get('url');
  if (source === null) {
    return routed;
  }
  parameters.set('url', imageSourceUnderPlaceholder(source, prefix));
  return `${routed.slice(0, query)}?${parameters}`;
}

/** Bodies that may carry the app's URLs: markup, scripts, styles, data. Images, fonts and downloads stream untouched. */
const TEXTUAL = /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:javascript|ecmascript|json|xml)\b|image\/svg\+xml)/i;
const HTML = /^(?:text\/html|application\/xhtml\+xml)/i;

function textual(request, response) {
  if (request.method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304) {
    return false;
  }
  if (response.getHeader('content-encoding')) {
    return false;
  }
  return TEXTUAL.test(String(response.getHeader('content-type') ?? ''));
}

function rewriteHeaderValue(value, prefix) {
  return value.replaceAll(PLACEHOLDER, (_, offset) => (value[offset + PLACEHOLDER.length] === '/' ? prefix : prefix || '/'));
}

/** Whether an Accept-Encoding value accepts gzip (by name or *, with a q above 0). */
function acceptsGzip(header) {
  if (typeof header !== 'string') {
    return false;
  }
  return header.split(',').some((part) => {
    const [name, ...parameters] = part.trim().toLowerCase().split(';').map((item) => item.trim());
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    return (name === 'gzip' || name === '*') && (quality === undefined || Number(quality.slice(2)) > 0);
  });
}

function addVary(response, name) {
  const vary = response.getHeader('vary');
  if (!vary) {
    response.setHeader('vary', name);
  } else if (!new RegExp(`(^|,)\\s*(\\*|${name})\\s*(,|$)`, 'i').test(String(vary))) {
    response.setHeader('vary', `${vary}, ${name}`);
  }
}

/** A rewritten body sent through gzip, with the response's backpressure and Next's flushes. */
function gzipBody(response, original) {
  const gzip = zlib.createGzip();
  gzip.on('data', (data) => {
    if (!original.write(data)) {
      gzip.pause();
    }
  });
  response.on('drain', () => gzip.resume());
  // Next waits for the response's 'drain' when a write returned false, which gzip's write does when it is full.
  gzip.on('drain', () => response.emit('drain'));
  response.once('close', () => gzip.destroy());
  // Next flushes after each chunk of a streamed page, so what it has rendered reaches the browser at once.
  response.flush = () => gzip.flush();
  return {
    write: (buffer, callback) => gzip.write(buffer, callback),
    end: (buffer, callback) => {
      gzip.once('end', () => original.end(undefined, callback));
      gzip.end(buffer);
    },
  };
}

/**
 * Makes `response` carry `prefix` where Next wrote the placeholder: in its headers, and in a textual body as it streams,
 * gzipped when `gzip` (the client accepts it: Next itself got no Accept-Encoding, so it left the body uncompressed).
 */
function rewriteResponse(request, response, prefix, { gzip = false } = {}) {
  takeOverBody(response, (original) => {
    for (const name of response.getHeaderNames()) {
      const value = response.getHeader(name);
      if (typeof value === 'string' && value.includes(PLACEHOLDER)) {
        response.setHeader(name, rewriteHeaderValue(value, prefix));
      } else if (Array.isArray(value) && value.some((item) => item.includes(PLACEHOLDER))) {
        response.setHeader(name, value.map((item) => rewriteHeaderValue(item, prefix)));
      }
    }
    if (!textual(request, response)) {
      return null;
    }

    response.removeHeader('content-length');
    addVary(response, 'Accept-Encoding');
    const html = HTML.test(String(response.getHeader('content-type')));
    const rewriter = new PlaceholderRewriter(prefix, html ? prefix || '/' : prefix);
    let body = original;
    if (gzip && !/\bno-transform\b/i.test(String(response.getHeader('cache-control') ?? ''))) {
      response.setHeader('content-encoding', 'gzip');
      body = gzipBody(response, original);
    }
    return {
      write: (buffer, callback) => body.write(rewriter.push(buffer), callback),
      end: (buffer, callback) => body.end(Buffer.concat([rewriter.push(buffer), rewriter.end()]), callback),
    };
  });
}

const STATIC = `${PLACEHOLDER}/_next/static/`;
/** What both forms of the placeholder contain. */
const PLACEHOLDER_NAME = Buffer.from(PLACEHOLDER.slice(1));
const MAX_KNOWN_STATIC_FILES = 10_000;

/**
 * Whether `url` is one of the build's /_next/static/ files (content-hashed, immutable) without the placeholder in it,
 * which Next may then serve untouched: with its length, and compressed by Next itself. Most chunks (React, the app's
 * components) are such files; each is read once and remembered in `known`. A path that leaves the folder is not.
 */
function untouchedStaticFile(url, distDir, known) {
  if (!url.startsWith(STATIC)) {
    return false;
  }
  let relative = url.slice(STATIC.length).split('?')[0];
  try {
    relative = decodeURIComponent(relative);
  } catch {
    return false;
  }
  if (relative.split('/').some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\0'))) {
    return false;
  }
  let untouched = known.get(relative);
  if (untouched === undefined) {
    try {
      untouched = fs.readFileSync(path.join(distDir, 'static', relative)).indexOf(PLACEHOLDER_NAME) === -1;
    } catch {
      return false;
    }
    if (known.size < MAX_KNOWN_STATIC_FILES) {
      known.set(relative, untouched);
    }
  }
  return untouched;
}

/**
 * Routes every request of this process's HTTP servers under the placeholder and rewrites its response, except the
 * build's static files without the placeholder (see untouchedStaticFile), which Next serves as they are.
 */
function serveUnderPrefixes({ trailingSlash, distDir = '.next' }) {
  const known = new Map();
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function ferryNextBase(event, request, response, ...rest) {
    if (event === 'request') {
      const prefix = forwardedPrefix(request);
      request.url = routeUnderPlaceholder(request.url ?? '/', prefix, trailingSlash);
      if (!untouchedStaticFile(request.url, distDir, known)) {
        const gzip = acceptsGzip(request.headers['accept-encoding']);
        // Next would compress the body itself, and a compressed body can't be rewritten: it is compressed here instead.
        delete request.headers['accept-encoding'];
        rewriteResponse(request, response, prefix, { gzip });
      }
    }
    return emit.call(this, event, request, response, ...rest);
  };
}

module.exports = {
  PLACEHOLDER, PlaceholderRewriter, acceptsGzip, forwardedPrefix, underPlaceholder, routeUnderPlaceholder, rewriteHeaderValue,
  rewriteResponse, serveUnderPrefixes, untouchedStaticFile,
};
