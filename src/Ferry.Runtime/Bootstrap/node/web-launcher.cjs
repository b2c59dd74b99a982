'use strict';
// Starts a Node web app on $PORT for Ferry's framework presets (express, koa): `node web-launcher.cjs app.js`.
// An app that calls listen itself runs as it is; an app that only exports itself (`module.exports = app`, an
// Express app, a Koa app or an http.Server) is started here on $HOST:$PORT.
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const entry = process.argv[2];
if (!entry) {
  console.error('ferry web launcher: usage: node web-launcher.cjs ENTRY_FILE');
  process.exit(2);
}

let listened = false;
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function ferryObservedListen(...args) {
  listened = true;
  return listen.apply(this, args);
};

/** The request listener or server an entry module exports, or null. */
function exportedApp(namespace) {
  const candidates = [namespace.default, namespace.app, namespace.default?.app, namespace.default?.default];
  for (const candidate of candidates) {
    if (candidate instanceof net.Server) {
      return { server: candidate };
    }
    if (candidate && typeof candidate.callback === 'function' && typeof candidate.use === 'function') {
      return { listener: candidate.callback() }; // Koa
    }
    if (typeof candidate === 'function' && candidate.length >= 2) {
      return { listener: candidate }; // Express, Connect, or a plain (req, res) listener
    }
  }
  return null;
}

async function main() {
  const file = path.resolve(process.cwd(), entry);
  const namespace = await import(pathToFileURL(file).href);
  if (listened) {
    return; // the app started its own server (it reads $PORT)
  }

  const app = exportedApp(namespace);
  if (app === null) {
    console.error(`ferry web launcher: ${entry} neither called listen() nor exported an app (module.exports = app); ` +
      'waiting in case it listens later');
    return;
  }

  const port = Number(process.env.PORT);
  const host = process.env.HOST || '127.0.0.1';
  const server = app.server ?? http.createServer(app.listener);
  listen.call(server, port, host);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
