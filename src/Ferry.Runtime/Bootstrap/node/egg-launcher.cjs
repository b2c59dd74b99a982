'use strict';
// Starts an Egg.js app for Ferry's egg preset as ONE process: `node egg-launcher.cjs [APP_DIR]`.
// egg-scripts would daemonize and fork a master, an agent and workers that write logs and run files into the app
// folder and $HOME; in Ferry's sandbox the app folder is read-only and an instance is one process that serves $PORT.
// So the agent and the application run here (egg's own single-process `start()`), the server listens on $HOST:$PORT,
// logs go to stdout/stderr instead of files, and what egg still writes (run/ dumps) goes under the temp folder; Ferry's
// egg plugin (egg-plugin/) replaces static folders that are missing (egg-static would create them in the app folder).
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

const baseDir = path.resolve(process.argv[2] || process.cwd());
const appRequire = createRequire(path.join(baseDir, 'package.json'));

/** The framework folder: package.json's `egg.framework` (a custom framework built on egg) or egg itself. */
function frameworkDir(pkg) {
  const name = pkg.egg?.framework || 'egg';
  if (path.isAbsolute(name)) {
    return name;
  }
  return path.dirname(appRequire.resolve(`${name}/package.json`));
}

/** Ferry's settings under the app's: the config files of the read-only app cannot point egg somewhere writable. */
function appConfig(workDir) {
  let own = {};
  if (process.env.EGG_APP_CONFIG) {
    try {
      own = JSON.parse(process.env.EGG_APP_CONFIG);
    } catch {
      console.error('ferry egg launcher: EGG_APP_CONFIG is not JSON; ignored');
    }
  }
  return {
    ...own,
    rundir: own.rundir || path.join(workDir, 'run'),
    logger: {
      ...own.logger,
      dir: own.logger?.dir || path.join(workDir, 'logs'),
      // No log files: every logger writes to the console (errors to stderr), which Ferry keeps as the function's logs.
      outputJSON: false,
      outputJSONOnly: true,
      consoleLevel: own.logger?.consoleLevel || 'INFO',
      disableConsoleAfterReady: false,
      // egg's own start-up chatter (plugins, the start timeline) only when it warns, as egg-scripts' console shows.
      coreLogger: { consoleLevel: 'WARN', ...own.logger?.coreLogger },
    },
  };
}

async function main() {
  const pkg = JSON.parse(fs.readFileSync(path.join(baseDir, 'package.json'), 'utf8'));
  const workDir = path.join(os.tmpdir(), 'egg');
  fs.mkdirSync(workDir, { recursive: true });
  process.env.EGG_HOME ||= workDir;
  process.env.EGG_SERVER_ENV ||= 'prod';
  process.env.NODE_CONSOLE_LOGGRE_LEVEL ||= 'WARN'; // (sic) egg's start-up console: the plugin list, middleware order…
  process.env.EGG_APP_CONFIG = JSON.stringify(appConfig(workDir));

  const framework = frameworkDir(pkg);
  const egg = createRequire(path.join(framework, 'package.json'))('egg');
  const plugins = { ferry: { enable: true, path: path.join(__dirname, 'egg-plugin') } };
  const app = await egg.start({ baseDir, framework, plugins });

  const port = Number(process.env.PORT);
  const host = process.env.HOST || '127.0.0.1';
  const server = http.createServer(app.callback());
  app.emit('server', server); // what egg-cluster's worker does: plugins (websockets…) attach to the server here
  server.once('error', (error) => {
    console.error(`ferry egg launcher: cannot listen on ${host}:${port}:`, error.message);
    process.exit(1);
  });
  server.listen(port, host, () => console.log(`egg (${app.config.env}) listening on ${host}:${port}`));

  let closing = false;
  const close = async (signal) => {
    if (closing) {
      return;
    }
    closing = true;
    server.close();
    try {
      await app.close();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => close('SIGTERM'));
  process.once('SIGINT', () => close('SIGINT'));
}

main().catch((error) => {
  console.error('ferry egg launcher: the app did not start:', error);
  process.exit(1);
});
