'use strict';
// Ferry's egg plugin, added by egg-launcher.cjs. The app folder is read-only in Ferry's sandbox, and egg-static creates
// its static folders (app/public by default) when they are missing, which fails there: a static folder that does not
// exist is served from an empty folder under the temp folder instead (it would have been empty anyway).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

class FerryBoot {
  constructor(app) {
    this.app = app;
  }

  configWillLoad() {
    const config = this.app.config.static;
    if (!config) {
      return;
    }
    const empty = path.join(os.tmpdir(), 'egg', 'empty-static');
    const present = (dir) => {
      if (fs.existsSync(dir)) {
        return dir;
      }
      fs.mkdirSync(empty, { recursive: true });
      this.app.coreLogger.warn('[ferry] static folder %s does not exist; serving nothing there', dir);
      return empty;
    };
    if (typeof config.dir === 'string') {
      config.dir = present(config.dir);
    }
    if (Array.isArray(config.dirs)) {
      config.dirs = config.dirs.map((entry) => {
        if (typeof entry === 'string') {
          return present(entry);
        }
        return entry && typeof entry.dir === 'string' ? { ...entry, dir: present(entry.dir) } : entry;
      });
    }
  }
}

module.exports = FerryBoot;
