'use strict';
const http = require('node:http');

const body = JSON.stringify({ ok: true });
http
  .createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
