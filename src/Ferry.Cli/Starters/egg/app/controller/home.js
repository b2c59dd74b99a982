'use strict';

const { Controller } = require('egg');

class HomeController extends Controller {
  async index() {
    this.ctx.body = { app: '{{name}}', framework: 'egg' };
  }

  async hello() {
    const { name } = this.ctx.params;
    this.ctx.logger.info('hello %s', name);
    this.ctx.body = { message: `Hello, ${name}!` };
  }
}

module.exports = HomeController;
