'use strict';
// Starts a Next.js app for Ferry's nextjs preset: `node /opt/ferry/node/next-launcher.cjs [next start options]`.
//
// One instance is reached through several prefixes: /{service}/{stage} on the server's address, / of a custom domain,
// and a custom domain's path prefix (/shop). The gateway strips the prefix before forwarding and says which it was in
// X-Forwarded-Prefix (none at a domain's /). Next.js compiles its base path into the build, so Ferry builds and runs
// an app without a basePath of its own under a placeholder base path (next-adapter.mjs) and this launcher
//  - puts the placeholder back in front of each forwarded path, so Next routes it;
//  - and replaces the placeholder in each response with the prefix the request came through: in headers (Location,
//    Link, Refresh) and in the bodies that carry URLs (HTML, the RSC payload, JavaScript chunks, CSS, JSON), as they
//    stream. The client's JavaScript then runs with that prefix as its base path, so links, client navigation and
//    lazily loaded chunks stay under it.
// Where the placeholder ends a URL (a link to the app's root), it becomes the prefix, or "/" at a domain's root; in
// JavaScript (Next's basePath constant) it becomes the prefix, "" at a domain's root.
// Requests reach Next without Accept-Encoding: a body Next compressed could not be rewritten, so the launcher gzips the
// rewritten bodies itself for clients that accept it (flushing where Next flushes a streamed page). The build's static
// files without the placeholder (most chunks) are left to Next whole: their length, Next's compression, no rewriting. An app built with a
// basePath of its own, or without Ferry's adapter, runs as plain `next start`.
const fs = require('node:fs');
const path = require('node:path');
const { PLACEHOLDER, serveUnderPrefixes } = require('./next-prefix.cjs');

const NEXT_BIN = 'node_modules/next/dist/bin/next';

function readBuild(file) {
  try {
    return JSON.parse(fs.readFileSync(path.join('.next', file), 'utf8'));
  } catch {
    return null;
  }
}

const built = readBuild('routes-manifest.json');
if (built?.basePath === PLACEHOLDER) {
  // The build ran with Ferry's adapter; `next start` must load the same config.
  process.env.NEXT_ADAPTER_PATH = path.join(__dirname, 'next-adapter.mjs');
  serveUnderPrefixes({ trailingSlash: readBuild('required-server-files.json')?.config?.trailingSlash === true });
} else if (!built) {
  console.error('ferry next launcher: .next/routes-manifest.json is missing from the package: `next build` makes it (the ' +
    'nextjs preset runs it on deploy); check distDir in next.config');
  process.exit(1);
}

process.argv = [process.argv[0], path.resolve(NEXT_BIN), 'start', ...process.argv.slice(2)];
require(path.resolve(NEXT_BIN));
