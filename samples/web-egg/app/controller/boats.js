'use strict';

const { Controller } = require('egg');

class BoatsController extends Controller {
  async show() {
    const { ctx } = this;
    const { name } = ctx.params;
    ctx.logger.info('boat %s requested', name);
    ctx.body = {
      app: 'egg',
      boat: name,
      q: ctx.query.q || null,
      path: ctx.path,
      prefix: ctx.get('x-forwarded-prefix') || null,
      host: ctx.host,
      env: this.app.config.env,
    };
  }
}

module.exports = BoatsController;
