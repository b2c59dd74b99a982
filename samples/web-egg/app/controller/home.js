'use strict';

const { Controller } = require('egg');

class HomeController extends Controller {
  async index() {
    const { ctx } = this;
    // The gateway strips /{service}/{stage} and names it in X-Forwarded-Prefix; links are relative to the page.
    const prefix = ctx.get('x-forwarded-prefix') || '/';
    ctx.type = 'html';
    ctx.body = `<!doctype html>
<html>
  <head><title>Egg harbour</title></head>
  <body>
    <h1>Egg harbour</h1>
    <p id="prefix">${escape(prefix)}</p>
    <p id="env">${escape(this.app.config.env)}</p>
    <a href="api/boats/ark">Ark</a>
  </body>
</html>
`;
  }
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

module.exports = HomeController;
