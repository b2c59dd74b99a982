'use strict';
const http = require('node:http');

let served = 0;
const server = http.createServer((req, res) => {
  served += 1;
  console.log(`${req.method} ${req.url}`);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: 'web-node', url: req.url, served, pid: process.pid }));
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening on ${process.env.PORT}`));
