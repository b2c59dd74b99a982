'use strict';
// An ordinary Koa app that listens by itself on $PORT (default 3000), as `npm start` runs it anywhere.
const Koa = require('koa');
const Router = require('@koa/router');

const app = new Koa();
const router = new Router();

router.get('/', (ctx) => {
  ctx.body = { app: 'koa', prefix: ctx.get('x-forwarded-prefix') || null };
});

router.get('/hello/:name', (ctx) => {
  ctx.body = { greeting: `Hello, ${ctx.params.name}!` };
});

app.use(router.routes()).use(router.allowedMethods());

const port = Number(process.env.PORT || 3000);
app.listen(port, process.env.HOST || '127.0.0.1', () => console.log(`koa listening on ${port}`));
