'use strict';
// An ordinary Koa app that listens on $PORT (3000 locally): npm start
const Koa = require('koa');
const Router = require('@koa/router');

const app = new Koa();
const router = new Router();

router.get('/', (ctx) => {
  ctx.body = { app: '{{name}}', framework: 'koa' };
});

router.get('/hello/:name', (ctx) => {
  ctx.body = { message: `Hello, ${ctx.params.name}!` };
});

app.use(router.routes()).use(router.allowedMethods());

const port = Number(process.env.PORT || 3000);
app.listen(port, process.env.HOST || '127.0.0.1', () => console.log(`listening on ${port}`));
